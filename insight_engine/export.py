"""Exports and rendering made safe for data: formula-safe CSV, inert Markdown."""

from __future__ import annotations

import re

import pandas as pd

__all__ = ["inert_markdown", "safe_csv"]

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


_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_{}[]()<>#+-.!|~$&:"})
# GitHub-flavoured Markdown links bare URLs, www. names and e-mail addresses *after* escapes are
# resolved, so escaping cannot stop it; an invisible word joiner (U+2060) inside each does.
_AUTOLINK = re.compile(r"(?i)://|www\.|@(?=\w)")
_JOINER = "\u2060"


def inert_markdown(value: object) -> str:
    """Data (names, goals, notes, headlines) made inert for Markdown: every character Markdown
    or HTML gives meaning to is escaped and bare URLs, www. names and e-mail addresses are broken
    by an invisible word joiner, so no link, image, emphasis, heading, HTML or maths can come from
    what a customer or a file wrote. Line breaks become spaces."""
    text = str(value).replace("\r", " ").replace("\n", " ")
    text = _AUTOLINK.sub(_join, text)
    return text.translate(_MD_SPECIAL)


def _join(match: re.Match) -> str:
    found = match.group(0)  # "://" -> ":/⁠/", "www." -> "www⁠.", "a@b" -> "a⁠@b"
    return found[:-1] + _JOINER + found[-1]
