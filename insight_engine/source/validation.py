"""Validation of a contract table: typed columns out, and a report that loses nothing.

Every problem names the file, the row as a spreadsheet shows it (header = row 1), the column,
the bad value and what to do. Rows that fail are kept, with their reasons, in
``ValidationReport.rejected`` so they can be listed, counted and downloaded; nothing is dropped
silently and the user's files are never modified.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial, reduce
from types import MappingProxyType
from typing import Literal

import numpy as np
import pandas as pd

from insight_engine.source.contract import BLANK_WORDS, SYNONYMS, Column, TableSpec, choice_key
from insight_engine.source.problems import (
    MAX_LISTED_PER_KIND,
    Problem,
    Severity,
    ValidationReport,
)

__all__ = [
    "VALIDATORS",
    "Checked",
    "Context",
    "DateOrder",
    "DateOrderError",
    "Flag",
    "Problem",
    "ValidationReport",
    "parse_dates",
    "parse_numbers",
    "validate_table",
]

DateOrder = Literal["auto", "day_first", "month_first"]


class DateOrderError(ValueError):
    """Dates like 03/04/2025 could be read two ways; the user must choose."""

    def __init__(self, column: str, examples: list[str], mixed: bool = False) -> None:
        self.column = column
        self.examples = examples
        self.mixed = mixed
        kind = (
            "mixes day-first and month-first dates"
            if mixed
            else "has dates that could be day-first or month-first"
        )
        super().__init__(f"column '{column}' {kind}, e.g. {', '.join(examples[:3])}")


_DMY = r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2,4})(?:[ T].*)?$"
_ZONE_WORD = r"\s*(?:UTC|GMT|Z)$"  # "2024-12-01 09:30:00 UTC"
_EPOCH = r"^\d{9,13}(?:\.0+)?$"  # seconds (9–10 digits) or milliseconds (12–13)
_SERIAL = r"^\d{5}(?:\.0+)?$"  # an Excel day number (1954–2119)
# Epoch seconds Rudder reads as dates: 1990 to 2100 (a 10-digit phone number is not a date).
_EPOCH_FIRST, _EPOCH_LAST = 631_152_000, 4_102_444_800


def _tool_dates(text: pd.Series, parsed: pd.Series, rest: pd.Series) -> pd.Series:
    """Dates as tools write them, for the values ISO parsing left: a zone word (``UTC``),
    epoch seconds or milliseconds, Excel day numbers, and dates with a month name
    (``Dec 1, 2024``, ``1 December 2024``), which are never ambiguous."""
    parsed = parsed.copy()
    todo = text[rest]
    zoned = todo.str.contains(_ZONE_WORD, regex=True, case=False)
    if zoned.any():
        stripped = todo[zoned].str.replace(_ZONE_WORD, "", regex=True, case=False)
        parsed.loc[stripped.index] = pd.to_datetime(stripped, format="ISO8601", errors="coerce")
    epoch = todo.str.fullmatch(_EPOCH).fillna(False)
    if epoch.any():
        number = pd.to_numeric(todo[epoch], errors="coerce").astype("float64")
        seconds = number.where(number < 1e11, number / 1000)  # 12+ digits: milliseconds
        seconds = seconds.where(seconds.between(_EPOCH_FIRST, _EPOCH_LAST))  # not a phone number
        parsed.loc[number.index] = pd.to_datetime(seconds, unit="s", errors="coerce")
    serial = todo.str.fullmatch(_SERIAL).fillna(False)
    if serial.any():
        days = pd.to_numeric(todo[serial], errors="coerce")
        days = days.where(days.between(20_000, 80_000))
        parsed.loc[days.index] = pd.Timestamp("1899-12-30") + pd.to_timedelta(days, unit="D")
    named = todo.str.contains(r"[A-Za-z]{3}", regex=True) & ~zoned
    if named.any():
        words = todo[named].str.replace(r"(?<=\d)(st|nd|rd|th)\b", "", regex=True)
        words = words.str.replace(r"(?:[Zz]|[+-]\d{2}:?\d{2})$", "", regex=True)
        parsed.loc[words.index] = pd.to_datetime(words, format="mixed", errors="coerce")
    return parsed


def _day_month_dates(text: pd.Series, order: DateOrder, column: str) -> tuple[pd.Series, str]:
    """Dates written ``03/04/2025``, ``31.12.24``: the rows that match, and the order used
    (``auto`` takes the order some value proves, and refuses to guess otherwise)."""
    parts = text.str.extract(_DMY)
    matched = parts[0].notna()
    if not matched.any():
        return pd.Series(dtype="datetime64[ns]"), "iso"
    examples = text[matched].head(3).tolist()
    # Only the day/month/year values: a word beside them ("soon") is no number, and a missing
    # number would stop the date assembly (it stays unread, and is flagged).
    parts = parts[matched]
    first = pd.to_numeric(parts[0], errors="coerce")
    second = pd.to_numeric(parts[1], errors="coerce")
    need_day_first = bool((first > 12).any())
    need_month_first = bool((second > 12).any())
    if order != "auto":
        order_used = order
    elif need_day_first and need_month_first:
        raise DateOrderError(column, examples, mixed=True)
    elif need_day_first:
        order_used = "day_first"
    elif need_month_first:
        order_used = "month_first"
    else:
        raise DateOrderError(column, examples)
    day, month = (first, second) if order_used == "day_first" else (second, first)
    year = pd.to_numeric(parts[2], errors="coerce")
    year = year.where(year >= 100, year + 2000)
    built = pd.to_datetime(
        pd.DataFrame({"year": year, "month": month, "day": day}), errors="coerce"
    )
    return built, order_used


def parse_dates(
    values: pd.Series, *, order: DateOrder = "auto", column: str = "date"
) -> tuple[pd.Series, pd.Series, str]:
    """Parse a column of dates without ever swapping day and month silently.

    Parameters
    ----------
    values : pandas.Series
        Strings (or already-typed datetimes) as read from the file.
    order : {"auto", "day_first", "month_first"}
        How to read dates such as ``03/04/2025``. ``auto`` accepts ISO dates and
        unambiguous day/month dates, and raises :class:`DateOrderError` otherwise.
    column : str
        Column name, used in the error.

    Returns
    -------
    parsed : pandas.Series of datetime64
        Dates at midnight; NaT where empty or unreadable.
    bad : pandas.Series of bool
        True where a non-empty value could not be read as a date.
    order_used : str
        ``iso``, ``day_first`` or ``month_first``.
    """
    if pd.api.types.is_datetime64_any_dtype(values):
        parsed = (
            pd.to_datetime(values).dt.tz_localize(None)
            if getattr(values.dt, "tz", None)
            else values
        )
        return (
            parsed.dt.normalize().astype("datetime64[ns]"),
            pd.Series(False, index=values.index),
            "iso",
        )
    text = values.astype("string").str.strip()
    empty = text.isna() | (text == "")
    # Keep the local calendar day: drop a time-zone suffix (Z, +02:00) instead of converting to
    # UTC, which would move a 00:30+02:00 row to the day before (and mixed offsets would not parse).
    # Only values with a time part can carry an offset; plain dates skip the regex.
    timed = text.str.len() > 10
    local = (
        text.mask(timed, text[timed].str.replace(r"(?:[Zz]|[+-]\d{2}:?\d{2})$", "", regex=True))
        if timed.any()
        else text
    )
    parsed = pd.to_datetime(local.where(~empty), format="ISO8601", errors="coerce")
    rest = ~empty & parsed.isna()
    if rest.any():
        parsed = _tool_dates(text, parsed, rest)
        rest = ~empty & parsed.isna()
    order_used = "iso"
    if rest.any():
        built, order_used = _day_month_dates(text[rest], order, column)
        parsed.loc[built.index] = built
    parsed = parsed.dt.normalize().astype("datetime64[ns]")
    bad = ~empty & parsed.isna()
    return parsed, bad, order_used


_CURRENCY = r"[\s$€£\u00a0]"
_US_THOUSANDS = r"-?\d{1,3}(,\d{3})+(\.\d+)?"
_EU_THOUSANDS = r"-?\d{1,3}(\.\d{3})+(,\d+)?"
_EU_DECIMAL = r"-?\d+,\d+"


def parse_numbers(values: pd.Series, *, decimal_comma: bool = False) -> tuple[pd.Series, pd.Series]:
    """Parse numbers as people type them: ``1,234.5``, ``$12,000``, ``1.234,5`` (``;`` files).

    Parameters
    ----------
    values : pandas.Series
        Strings or numbers.
    decimal_comma : bool
        True for files that use ``;`` as the delimiter (European style: ``1.234,5``).

    Returns
    -------
    parsed : pandas.Series of float
        NaN where empty or unreadable.
    bad : pandas.Series of bool
        True where a non-empty value is not a number.
    """
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        parsed = values.astype("float64")
        return parsed, pd.Series(False, index=values.index)
    text = values.astype("string").str.strip()
    empty = text.isna() | (text == "")
    cleaned = text.str.replace(_CURRENCY, "", regex=True)
    # In ;-delimited (European) files a comma is the decimal mark: "0,125" is 0.125, not 125.
    us = cleaned.str.fullmatch(_US_THOUSANDS).fillna(False) & (not decimal_comma)
    cleaned = cleaned.mask(us, cleaned.str.replace(",", "", regex=False))
    if decimal_comma:
        eu = (cleaned.str.fullmatch(_EU_THOUSANDS) | cleaned.str.fullmatch(_EU_DECIMAL)).fillna(
            False
        ) & ~us
        cleaned = cleaned.mask(
            eu, cleaned.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
        )
    parsed = pd.to_numeric(cleaned.where(~empty), errors="coerce").astype("float64")
    parsed = parsed.where(np.isfinite(parsed))  # "inf" and 1e400 are not numbers anyone meant
    bad = ~empty & parsed.isna()
    return parsed, bad


ROW_COLUMN = "__row__"  # optional column carrying each row's own spreadsheet row number
# Optional column naming, per row, the file's own column its value came from (a melted wide
# file): problems with ``value`` then name that column.
SOURCE_COLUMN = "__column__"


def _by_unique(values: pd.Series, parse) -> tuple:
    """Run a column parser on the distinct values only, then spread its results back.

    Ids, dates, choices and amounts repeat heavily (260k notes name 10k accounts on 365 days),
    so parsing the distinct values and gathering by code is several times faster than
    running string methods on every row. Results are the same, row for row.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    if len(uniques) * 2 > len(values):
        return parse(values)
    distinct = pd.Series(uniques).reindex(range(len(uniques) + 1))  # last slot: the empty cell
    codes = np.where(codes < 0, len(uniques), codes)
    return tuple(
        r.take(codes).set_axis(values.index) if isinstance(r, pd.Series) else r
        for r in parse(distinct)
    )


# Characters that change how text looks without being seen: zero-width spaces and joiners,
# direction marks, embeddings, overrides and isolates (a right-to-left override turned
# "exe.pdf (22000-A)" into "Invoice (22000-A) exe.pdf"), word joiners and byte-order marks.
INVISIBLE = "[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"


def _escaped(values: pd.Series, mask: pd.Series) -> pd.Series:
    """The values in ``mask`` with invisible characters spelled out (``\\u200b``) for the report."""
    shown = values.astype("string")
    if mask.any():
        picked = shown[mask].map(lambda v: v.encode("unicode_escape").decode("ascii"))
        shown = shown.mask(mask, picked)
    return shown


def _clean_text(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Trimmed text in Unicode NFKC with invisible and direction-changing characters removed.

    Two names that look the same are then the same ("Diego\u200b Ivanova" is Diego Ivanova's
    account, and a full-width "ＡＣＭＥ" is ACME). Returns the text and where it was changed by
    more than trimming (for a warning that names the rows).
    """
    text = values.astype("string").str.strip()
    cleaned = visible_text(text)
    changed = (cleaned != text).fillna(False)
    return cleaned.mask(cleaned == "", pd.NA), changed


def visible_text(values: pd.Series) -> pd.Series:
    """Text as people see it: NFKC, without invisible or direction-changing characters, trimmed.

    The one rule for ids and names wherever they are read (validated tables, usage and event
    keys), so an id matches its account however the export wrote it.
    """
    text = values.astype("string")
    return text.str.normalize("NFKC").str.replace(INVISIBLE, "", regex=True).str.strip()


def _choice_map(table: str, col: Column) -> dict[str, str]:
    """Normalised spelling -> choice: the choices themselves, then the contract's synonyms."""
    return {
        **{choice_key(c): c for c in col.choices},
        **SYNONYMS.get((table, col.name), {}),
        **dict.fromkeys(BLANK_WORDS, ""),
    }


def _clean_choice(values: pd.Series, *, synonyms: dict[str, str]) -> tuple[pd.Series]:
    """Typed choices as the contract's values: case, spacing and known synonyms forgiven;
    words such as "n/a" or "pending" read as empty; anything else is returned as typed."""
    typed = values.astype("string").str.strip()
    key = typed.str.lower().str.replace(r"[\s\-]+", "_", regex=True)
    known = key.map(synonyms).astype("string")
    text = known.where(known.notna(), typed)
    return (text.mask((text == "") | typed.isna(), pd.NA),)


def _kept_as(col: Column) -> str:
    if col.fallback is not None:
        return f"as {col.fallback!r}"
    if col.fallback_column is not None:
        return f"showing its {col.fallback_column}"
    return f"with {col.name} blank"


def _fill(
    values: pd.Series, mask: pd.Series, col: Column, out: Mapping[str, pd.Series]
) -> pd.Series:
    """Rows in ``mask`` take the column's fallback (a value, or another column's value)."""
    if not mask.any():
        return values
    if col.fallback is not None:
        return values.mask(mask, col.fallback)
    if col.fallback_column is not None and col.fallback_column in out:
        return values.mask(mask, out[col.fallback_column].astype("string"))
    return values


def _row_numbers(index: pd.Index, row_offset: int) -> np.ndarray:
    return np.asarray(index, dtype=np.int64) + row_offset


def _problem_frame(
    file: str,
    rows: np.ndarray,
    column: str | None,
    values: pd.Series | list,
    problem: str,
    fix: str,
    severity: Severity = "error",
) -> pd.DataFrame:
    n = len(rows)
    return pd.DataFrame(
        {
            "file": file,
            "row": rows,
            "column": column,
            "value": pd.Series(values, dtype="string").to_numpy() if n else [],
            "problem": problem,
            "fix": fix,
            "severity": severity,
        }
    )


@dataclass
class TableResult:
    """What :func:`validate_table` returns."""

    frame: pd.DataFrame
    report: ValidationReport
    fatal: bool = False


def _choice_fix(col: Column) -> str:
    return f"Use one of: {', '.join(col.choices)}."


# --- one validator per column kind ----------------------------------------------------------


@dataclass(frozen=True)
class Flag:
    """Rows of one column with one problem: an error sets the rows aside, a warning keeps them."""

    mask: pd.Series  # bool, one per row
    column: str | None
    values: pd.Series  # the values the report shows
    problem: str
    fix: str
    severity: Severity = "error"

    @classmethod
    def of(
        cls,
        mask: pd.Series,
        column: str | None,
        values: pd.Series,
        problem: str,
        fix: str,
        severity: Severity = "error",
    ) -> Flag:
        """A flag on ``mask`` read as plain booleans (a missing value is no problem)."""
        return cls(mask.fillna(False).astype(bool), column, values, problem, fix, severity)


@dataclass(frozen=True)
class Checked:
    """What a validator returns: the typed values (unusable cells blank, or their fallback),
    the problems found, and notes for the report that are not about rows (in order)."""

    values: pd.Series | None
    flags: tuple[Flag, ...] = ()
    notes: tuple[Problem, ...] = ()

    @property
    def rejected(self) -> pd.Series | None:
        """Rows an error sets aside (None when nothing was flagged as an error)."""
        errors = [f.mask for f in self.flags if f.severity == "error"]
        return reduce(operator.or_, errors) if errors else None


@dataclass(frozen=True)
class Context:
    """What validators read besides the column: the table, the file's reading options, and
    the columns typed so far (for a fallback to another column's value)."""

    table: str
    file: str
    today: pd.Timestamp
    date_order: DateOrder = "auto"
    decimal_comma: bool = False
    not_future: tuple[str, ...] = ()
    typed: Mapping[str, pd.Series] = field(default_factory=dict)


def _bad_value(col: Column, mask: pd.Series, values: pd.Series, problem: str, fix: str) -> Flag:
    """A value that cannot be used: in a required column the row is set aside; in an optional
    one the row is kept with the field blank (or the column's fallback)."""
    if col.required and col.fallback is None and col.fallback_column is None:
        return Flag.of(mask, col.name, values, problem, fix)
    kept = _kept_as(col)
    return Flag.of(mask, col.name, values, f"{problem}; the row was kept {kept}", fix, "warning")


def _is_empty(col: Column, mask: pd.Series, values: pd.Series, fix: str | None = None) -> Flag:
    return _bad_value(
        col, mask, values.astype("string"), "is empty", fix or f"Fill in {col.name} on this row."
    )


def validate_text(values: pd.Series, col: Column, ctx: Context) -> Checked:
    """Ids and text: trimmed, NFKC, invisible characters removed (a warning names the rows)."""
    text, changed = _by_unique(values, _clean_text)
    flags = [
        Flag.of(
            changed,
            col.name,
            _escaped(values, changed),
            "held invisible or look-alike characters (zero-width, direction override or "
            "full-width); Rudder removed them",
            "Nothing to do if the name now reads right; otherwise fix it at the source.",
            "warning",
        )
    ]
    if col.required or col.fallback is not None:
        flags.append(_is_empty(col, text.isna(), values))
        text = _fill(text, flags[-1].mask, col, ctx.typed)
    return Checked(text, tuple(flags))


def validate_number(values: pd.Series, col: Column, ctx: Context) -> Checked:
    """Numbers as people type them, within the column's bounds."""
    parse = partial(parse_numbers, decimal_comma=ctx.decimal_comma)
    parsed, bad = _by_unique(values, parse)
    flags = [
        _bad_value(
            col,
            bad,
            values,
            "is not a number",
            "Write a plain number such as 1234 or 1234.5 (no units or words).",
        )
    ]
    unusable = flags[0].mask
    if col.required:
        blank = values.isna() | (values.astype("string").str.strip() == "")
        flags.append(_is_empty(col, blank, values))
    if col.min_value is not None:
        what = "is negative" if col.min_value == 0 else f"is below {col.min_value:g}"
        fix = f"Use a value of at least {col.min_value:g}."
        flags.append(_bad_value(col, parsed < col.min_value, values, what, fix))
        unusable = unusable | flags[-1].mask
    if col.max_value is not None:
        what, fix = f"is above {col.max_value:g}", f"Use a value of at most {col.max_value:g}."
        flags.append(_bad_value(col, parsed > col.max_value, values, what, fix))
        unusable = unusable | flags[-1].mask
    return Checked(parsed.mask(unusable), tuple(flags))


def validate_date(values: pd.Series, col: Column, ctx: Context) -> Checked:
    """Dates, never with day and month swapped silently (:func:`parse_dates`); in the columns
    that must not be in the future, later rows are set aside."""
    parse = partial(parse_dates, order=ctx.date_order, column=col.name)
    parsed, bad, _ = _by_unique(values, parse)
    fix = "Write dates as YYYY-MM-DD, e.g. 2025-03-31."
    flags = [_bad_value(col, bad, values, "is not a date", fix)]
    if col.required:
        empty = parsed.isna() & ~bad
        fill = f"Fill in {col.name} on this row."
        flags.append(Flag.of(empty, col.name, values.astype("string"), "is empty", fill))
    if col.name in ctx.not_future:
        flags.append(
            Flag.of(
                parsed > ctx.today,
                col.name,
                values,
                f"is in the future (after {ctx.today:%Y-%m-%d})",
                "Check the date; future rows are set aside so they cannot distort this week's picture.",
            )
        )
    return Checked(parsed.mask(flags[0].mask), tuple(flags))


def validate_choice(values: pd.Series, col: Column, ctx: Context) -> Checked:
    """One of the column's choices, case, spacing and the contract's synonyms forgiven."""
    clean = partial(_clean_choice, synonyms=_choice_map(ctx.table, col))
    (text,) = _by_unique(values, clean)
    unknown_values = text.notna() & ~text.isin(col.choices)
    flags = [
        _bad_value(
            col, unknown_values, values, "is not one of the allowed values", _choice_fix(col)
        )
    ]
    unknown = flags[0].mask
    text = _fill(text.mask(unknown), unknown, col, ctx.typed)
    if col.required:
        flags.append(_is_empty(col, text.isna() & ~unknown, values, _choice_fix(col)))
        text = _fill(text, flags[-1].mask, col, ctx.typed)
    return Checked(text, tuple(flags))


# Column kind (the contract's ``Column.kind``) -> its validator: (values as read, the column's
# spec, the context) -> Checked. A new kind is a new entry here.
VALIDATORS: dict[str, Callable[[pd.Series, Column, Context], Checked]] = {
    "id": validate_text,
    "text": validate_text,
    "number": validate_number,
    "date": validate_date,
    "choice": validate_choice,
}


def _absent(col: Column, index: pd.Index, ctx: Context) -> Checked:
    """An optional column the file does not have: blank, or its fallback with a warning."""
    values = pd.Series(col.missing, index=index, dtype=col.dtype)
    if col.fallback is None:
        return Checked(values)
    note = Problem(
        ctx.file,
        1,
        col.name,
        None,
        f"has no {col.name} column, so every row reads {col.fallback!r}",
        f"Add a {col.name} column (or map one in the upload step) to use your own values.",
        "warning",
    )
    return Checked(values.fillna(col.fallback), notes=(note,))


# --- checks across rows and tables ------------------------------------------------------------


def _duplicates(
    spec: TableSpec, out: pd.DataFrame, raw: pd.DataFrame, row_no: pd.Series, file: str
) -> Checked:
    """Repeated ids are set aside; for the first few, where the id was first seen."""
    if not spec.key:
        return Checked(None)
    key = spec.key[0]
    dup = out[key].notna() & out[key].duplicated(keep="first")
    if not dup.any():
        return Checked(None)
    first_row = out[key].drop_duplicates(keep="first")
    first_map = pd.Series(row_no.loc[first_row.index].to_numpy(), index=first_row.to_numpy())
    dup_rows = out.index[dup]
    firsts = first_map.reindex(out.loc[dup, key].to_numpy()).to_numpy()
    flag = Flag.of(
        dup,
        key,
        raw[key] if key in raw else out[key],
        "is a duplicate id",
        "Each id must appear once; merge or remove the repeated row.",
    )
    notes = tuple(
        Problem(
            file,
            int(row_no.at[r]),
            key,
            str(out.at[r, key]),
            f"repeats the id first seen on row {int(f)}",
            "Keep one of the two rows.",
            "info",
        )
        for r, f in list(zip(dup_rows, firsts, strict=False))[:5]
    )
    return Checked(None, (flag,), notes)


def _unknown_accounts(
    spec: TableSpec, out: pd.DataFrame, known_accounts: pd.Index | None
) -> Checked:
    """Rows naming an account that is not in ``accounts`` are set aside."""
    if not spec.account_column or known_accounts is None or spec.account_column not in out:
        return Checked(None)
    acct = out[spec.account_column]
    codes, distinct = pd.factorize(acct, use_na_sentinel=True)
    known_ix = pd.Index(known_accounts)
    found = (
        known_ix.get_indexer(distinct) >= 0  # a hash lookup: 20x faster than Index.isin
        if known_ix.is_unique
        else pd.Index(distinct).isin(known_ix)
    )
    known = np.append(found, True)  # last slot: the empty cell
    unknown = pd.Series(~known[codes], index=acct.index)
    flag = Flag.of(
        unknown,
        spec.account_column,
        acct,
        "is not an account in accounts",
        "Add the account to accounts, or correct the id.",
    )
    return Checked(None, (flag,))


# --- the report, assembled once ---------------------------------------------------------------


def _listed(flag: Flag, file: str, row_no: pd.Series, source: pd.Series | None) -> tuple:
    """The report's rows for one flag (the first MAX_LISTED_PER_KIND), and a note for the rest."""
    idx = flag.mask[flag.mask].index
    shown = idx[:MAX_LISTED_PER_KIND]
    column = flag.column
    frame = _problem_frame(
        file,
        row_no.loc[shown].to_numpy(),
        source.loc[shown].to_numpy() if source is not None and column == "value" else column,
        flag.values.loc[shown].astype("string"),
        flag.problem,
        flag.fix,
        flag.severity,
    )
    if len(idx) == len(shown):
        return frame, None
    more = Problem(
        file,
        None,
        column,
        None,
        f"{len(idx) - len(shown):,} more rows have the same problem ({flag.problem})",
        "All of them are listed in the rejected-rows download."
        if flag.severity == "error"
        else "The rows were kept.",
        flag.severity,
    )
    return frame, more


def _reasons(flags: list[Flag], index: pd.Index) -> tuple[pd.Series, pd.Series]:
    """Rows set aside, and each one's reasons ("column: problem; …", in the order found)."""
    bad_any = pd.Series(False, index=index)
    reasons = pd.Series("", index=index, dtype="string")
    for f in flags:
        if f.severity != "error":
            continue
        bad_any |= f.mask
        label = f"{f.column}: {f.problem}" if f.column else f.problem
        joined = (reasons + "; " + label).where(reasons != "", label)
        reasons = reasons.mask(f.mask, joined)
    return bad_any, reasons


def _report(
    checks: list[Checked],
    raw: pd.DataFrame,
    out: pd.DataFrame,
    *,
    file: str,
    row_no: pd.Series,
    source: pd.Series | None,
) -> TableResult:
    """Every check's problems, rejected rows and counts, in the order they were found."""
    report = ValidationReport()
    flags = [f for c in checks for f in c.flags if f.mask.any()]
    frames = []
    for check in checks:
        for f in check.flags:
            if f.mask.any():
                frame, more = _listed(f, file, row_no, source)
                frames.append(frame)
                if more is not None:
                    report.add(more)
        for note in check.notes:
            report.add(note)
    for frame in frames:
        report.add_frame(frame)
    bad_any, reasons = _reasons(flags, raw.index)
    rejected = raw.loc[bad_any].copy()
    if len(rejected):
        rejected.insert(0, "reason", reasons[bad_any])
        rejected.insert(0, "row", row_no.loc[bad_any].to_numpy())
        rejected.insert(0, "file", file)
        report.rejected[file] = rejected
    good = out.loc[~bad_any].reset_index(drop=True)
    report.counts[file] = {"read": len(raw), "kept": len(good), "rejected": int(bad_any.sum())}
    return TableResult(good, report)


def _unusable(
    spec: TableSpec, raw: pd.DataFrame, file: str, found: list[str] | None
) -> TableResult | None:
    """The file as a whole cannot be used: a required column missing, or no data rows."""
    report = ValidationReport()
    missing = [c for c in spec.required_columns if c not in raw.columns]
    if missing:
        present = ", ".join(found if found is not None else map(str, raw.columns)) or "none"
        report.add(
            Problem(
                file,
                1,
                ", ".join(missing),
                None,
                f"required column(s) {', '.join(missing)} missing (columns found: {present})",
                "Add the column(s) to the header row, or map your column names to Rudder's in the column-mapping step.",
            )
        )
        report.counts[spec.name] = {"read": len(raw), "kept": 0, "rejected": 0}
        return TableResult(pd.DataFrame(columns=list(spec.column_names)), report, fatal=True)
    if len(raw) == 0:
        report.add(
            Problem.about_file(
                file,
                "has a header row but no data rows",
                "Export the file again with its data, or remove it if the table is optional.",
                "error" if spec.required else "warning",
            )
        )
        report.counts[spec.name] = {"read": 0, "kept": 0, "rejected": 0}
        return TableResult(spec.empty(), report, fatal=spec.required)
    return None


def _row_labels(
    raw: pd.DataFrame, row_offset: int
) -> tuple[pd.DataFrame, pd.Series, pd.Series | None]:
    """The rows' own spreadsheet numbers and source columns, and the values without them."""
    if ROW_COLUMN in raw.columns:
        row_no = raw[ROW_COLUMN].astype("int64")
        raw = raw.drop(columns=[ROW_COLUMN])
    else:
        row_no = pd.Series(_row_numbers(raw.index, row_offset), index=raw.index)
    source = None
    if SOURCE_COLUMN in raw.columns:
        source = raw[SOURCE_COLUMN].astype("string")
        raw = raw.drop(columns=[SOURCE_COLUMN])
    return raw, row_no, source


def validate_table(
    spec: TableSpec,
    raw: pd.DataFrame,
    *,
    file: str,
    row_offset: int = 2,
    date_order: DateOrder = "auto",
    decimal_comma: bool = False,
    known_accounts: pd.Index | None = None,
    today: pd.Timestamp | None = None,
    found: list[str] | None = None,
) -> TableResult:
    """Validate one table whose columns already carry contract names.

    Parameters
    ----------
    spec : TableSpec
        The contract table.
    raw : pandas.DataFrame
        Values as read (strings from CSV/Excel, typed from Parquet/SQL). Index = 0-based data row.
    file : str
        The file name shown in problems.
    row_offset : int
        Added to the 0-based index to give the row a spreadsheet shows (2: header is row 1).
    date_order : {"auto", "day_first", "month_first"}
        How to read ambiguous dates.
    decimal_comma : bool
        Read ``1.234,5`` as 1234.5 (files delimited with ``;``).
    known_accounts : pandas.Index, optional
        Account ids from ``accounts``; rows naming another account are set aside.
    today : pandas.Timestamp, optional
        Dates after this are "in the future" (default: the machine's date).
    found : list of str, optional
        All of the file's own column names, for messages (default: ``raw``'s columns).

    Returns
    -------
    TableResult
        ``frame`` holds the good rows with typed columns; ``report`` every problem;
        ``fatal`` is True when the file as a whole cannot be used.
    """
    unusable = _unusable(spec, raw, file, found)
    if unusable is not None:
        return unusable
    raw, row_no, source = _row_labels(raw, row_offset)
    typed: dict[str, pd.Series] = {}
    ctx = Context(
        table=spec.name,
        file=file,
        today=(today or pd.Timestamp.today()).normalize(),
        date_order=date_order,
        decimal_comma=decimal_comma,
        not_future=spec.date_columns_not_future,
        typed=MappingProxyType(typed),  # the columns typed so far, read-only
    )
    checks = []
    for col in spec.columns:
        if col.name in raw.columns:
            checks.append(VALIDATORS[col.kind](raw[col.name], col, ctx))
        else:
            checks.append(_absent(col, raw.index, ctx))
        typed[col.name] = checks[-1].values
    out = pd.DataFrame(typed, index=raw.index)
    checks.append(_duplicates(spec, out, raw, row_no, file))
    checks.append(_unknown_accounts(spec, out, known_accounts))
    return _report(checks, raw, out, file=file, row_no=row_no, source=source)
