"""Exports people open in spreadsheets: CSV with formula injection neutralised."""

from __future__ import annotations

import pandas as pd

__all__ = ["safe_csv"]

_RISKY = r"^[=+\-@\t\r]"


def safe_csv(frame: pd.DataFrame) -> bytes:
    """CSV (UTF-8) in which any cell a spreadsheet would run as a formula — one starting with
    ``=``, ``+``, ``-``, ``@``, a tab or a carriage return — is prefixed with ``'`` so it stays text."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            s = out[col].astype("string")
            risky = s.str.match(_RISKY).fillna(False)
            out[col] = s.mask(risky, "'" + s)
    return out.to_csv(index=False).encode("utf-8")
