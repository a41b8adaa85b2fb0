"""Exports and rendering made safe for data: formula-safe CSV, inert Markdown, strict JSON."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd

__all__ = [
    "RANKED_FIELDS",
    "SIGNAL_FIELDS",
    "formula_safe",
    "inert_markdown",
    "ranked_json",
    "safe_csv",
    "without_marker",
]

_RISKY = r"^[=+\-@\t\r]"


def formula_safe(frame: pd.DataFrame, *, marker: str = "'") -> pd.DataFrame:
    """A copy in which any text cell a spreadsheet would run as a formula — one starting with
    ``=``, ``+``, ``-``, ``@``, a tab or a carriage return — starts with ``marker`` instead.

    ``'`` for files (spreadsheets show the text as written); an invisible word joiner for
    tables on screen, whose grid offers its own "Download as CSV" of the cells as displayed.
    """
    out = frame.infer_objects()  # a detector's None among numbers leaves an object column
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            s = out[col].astype("string")
            risky = s.str.match(_RISKY).fillna(False)
            if risky.any():
                out[col] = s.mask(risky, marker + s)
    return out


def without_marker(frame: pd.DataFrame, marker: str) -> pd.DataFrame:
    """``frame`` with the ``marker`` :func:`formula_safe` put before a formula-like cell taken
    off again: what an editable table shows is formula-safe, what it returns is what was typed."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            s = out[col].astype("string")
            marked = s.str.startswith(marker).fillna(False)
            if marked.any():
                out[col] = s.mask(marked, s.str.slice(len(marker)))
    return out


def safe_csv(frame: pd.DataFrame) -> bytes:
    """CSV (UTF-8) in which formula-like cells are prefixed with ``'`` (:func:`formula_safe`)."""
    return formula_safe(frame).to_csv(index=False).encode("utf-8")


_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_{}[]()<>#+-.!|~$&:"})
# GitHub-flavoured Markdown links bare URLs, www. names and e-mail addresses *after* escapes are
# resolved, so escaping cannot stop it; an invisible word joiner (U+2060) inside each does.
_AUTOLINK = re.compile(r"(?i)://|www\.|@(?=\w)")
# Streamlit turns ":material/name:" into an icon and ":rocket:" into an emoji even when the
# colons are escaped; a word joiner after a colon that starts a word breaks the shortcode.
_SHORTCODE = re.compile(r":(?=material/|[A-Za-z0-9_+-]+:)")
_JOINER = "\u2060"


def inert_markdown(value: object) -> str:
    """Data (names, goals, notes, headlines) made inert for Markdown: every character Markdown
    or HTML gives meaning to is escaped and bare URLs, www. names and e-mail addresses are broken
    by an invisible word joiner, as are ``:icon:`` shortcodes, so no link, image, emphasis,
    heading, HTML, icon, emoji or maths can come from what a customer or a file wrote. Line
    breaks become spaces."""
    text = str(value).replace("\r", " ").replace("\n", " ")
    text = _AUTOLINK.sub(_join, text)
    text = _SHORTCODE.sub(":" + _JOINER, text)
    return text.translate(_MD_SPECIAL)


def _join(match: re.Match) -> str:
    found = match.group(0)  # "://" -> ":/⁠/", "www." -> "www⁠.", "a@b" -> "a⁠@b"
    return found[:-1] + _JOINER + found[-1]


# The ranked book as JSON: each account's fields, then its signals (``evidence`` nested, holding
# :data:`insight_engine.analysis.detector.EVIDENCE_COLUMNS`), strongest first.
RANKED_FIELDS = ("account_id", "account_name", "score", "motion", "headline", "reasons")
SIGNAL_FIELDS = (
    "motion",
    "detector",
    "headline",
    "strength",
    "evidence",
    "goal",
    "action",
    "audience",
    "why_now",
)


def ranked_json(
    ranked: pd.DataFrame,
    signals: pd.DataFrame,
    *,
    names: pd.Series,
    as_of: pd.Timestamp,
    ranked_by: str,
) -> str:
    """The ranked book as strict JSON: a missing value is ``null``, never ``NaN``.

    Built column by column (pandas writes the records in C) and nested by index arithmetic, so
    5,000 accounts cost about what printing the table does: no Python per account or signal.

    Parameters
    ----------
    ranked : pandas.DataFrame
        :func:`insight_engine.analysis.opportunity.rank_book` (or its head), best first.
    signals : pandas.DataFrame
        :func:`insight_engine.analysis.detector.detect`: strongest first within each account.
    names : pandas.Series
        Account name by account id.
    as_of : pandas.Timestamp
        The book's as-of date.
    ranked_by : str
        ``model`` or ``prior``.

    Returns
    -------
    str
        ``{"as_of", "ranked_by", "accounts": [...]}``, one account per line. Each signal holds
        the fields of :func:`insight_engine.analysis.detector.signal_records` (:data:`SIGNAL_FIELDS`):
        numbers to 3 decimals, dates as YYYY-MM-DD.
    """
    from insight_engine.analysis.detector import EVIDENCE_COLUMNS

    accounts = ranked.assign(account_name=ranked["account_id"].map(names))[list(RANKED_FIELDS)]
    position = pd.Index(ranked["account_id"]).get_indexer(signals["account_id"])
    shown = position >= 0
    order = np.argsort(position[shown], kind="stable")  # by rank; strongest first within one
    parent = position[shown][order]
    sig = signals.loc[shown].iloc[order]
    cut = SIGNAL_FIELDS.index("evidence")
    head = _json_records(_plain_columns(sig[list(SIGNAL_FIELDS[:cut])]))
    evidence = _json_records(_plain_columns(sig[EVIDENCE_COLUMNS]))
    tail = _json_records(_plain_columns(sig[list(SIGNAL_FIELDS[cut + 1 :])]))
    # {"motion":…,"strength":…} {"metric":…} {"goal":…} -> {"motion":…,"evidence":{…},"goal":…}
    children = head.str[:-1] + ',"evidence":' + evidence + "," + tail.str[1:]
    body = _nest(_json_records(accounts), children, parent, key="signals")
    return (
        f'{{"as_of":{json.dumps(f"{as_of:%Y-%m-%d}")},"ranked_by":{json.dumps(ranked_by)},'
        f'"accounts":[\n{body}\n]}}'
    )


def _plain_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns as :func:`insight_engine.analysis.detector.signal_records` shows values: numbers rounded
    to 3 decimals, dates as YYYY-MM-DD (missing stays missing)."""
    out = frame.infer_objects()  # a detector's None among numbers leaves an object column
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.strftime("%Y-%m-%d")
        elif pd.api.types.is_float_dtype(out[col]):
            out[col] = out[col].round(3)
    return out


def _json_records(frame: pd.DataFrame) -> pd.Series:
    """One JSON object per row (pandas' C writer: NaN, NA and infinity become null)."""
    if frame.empty:
        return pd.Series([], dtype=object)
    text = frame.to_json(orient="records", lines=True)
    # A raw line break never occurs inside a JSON string (it is written \n): split on it alone.
    return pd.Series(text.rstrip("\n").split("\n"), dtype=object)


def _nest(parents: pd.Series, children: pd.Series, parent_of: np.ndarray, *, key: str) -> str:
    """Parent objects, one per line, each with ``key`` holding its children in order.

    ``children`` are grouped by parent already (``parent_of`` sorted). The pieces go into one
    array in their final order (for parent i: its opening, its children, its closing) by index
    arithmetic, then are joined once.
    """
    n_parents = len(parents)
    counts = np.bincount(parent_of, minlength=n_parents)
    ends = np.cumsum(counts)
    starts = ends - counts
    at = 2 * np.arange(n_parents)
    pieces = np.empty(2 * n_parents + len(children), dtype=object)
    pieces[at + starts] = (parents.str[:-1] + f',"{key}":[').to_numpy()
    first = np.r_[True, parent_of[1:] != parent_of[:-1]] if len(children) else np.array([], bool)
    pieces[2 * parent_of + 1 + np.arange(len(children))] = (
        np.where(first, "", ",") + children.to_numpy()
    )
    pieces[at + ends + 1] = np.where(np.arange(n_parents) < n_parents - 1, "]},\n", "]}")
    return "".join(pieces)
