"""How Rudder writes facts for people: money, counts and an account's one-line summary.

Pure functions (no streamlit), so pages and drafts say the same thing and tests can check it.
A fact the data does not hold is written as "unknown", never as NaN or a crash.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["account_line", "money", "plural", "weeks"]


def money(x: float | None) -> str:
    """``$950``, ``$24k``, ``$11.3M``; an em dash when unknown."""
    if x is None or pd.isna(x):
        return "—"
    if abs(x) >= 999_500:  # what would round to $1,000k reads as millions
        return f"${x / 1e6:,.1f}M"
    return f"${x / 1000:,.0f}k" if abs(x) >= 1000 else f"${x:,.0f}"


def account_line(acct: pd.Series, as_of: pd.Timestamp) -> str:
    """Tier, ARR, seats, CSM and renewal of one account, saying "unknown" for what is missing.

    Parameters
    ----------
    acct : pandas.Series
        A row of ``Book.accounts``.
    as_of : pandas.Timestamp
        "Today" (for the days to renewal).

    Returns
    -------
    str
        E.g. ``Growth · $18k ARR · 15 seats · CSM Mara Quinn · renews 15 Aug 2027 (288 days)``.
    """
    arr = "ARR unknown" if pd.isna(acct.get("arr")) else f"{money(acct['arr'])} ARR"
    seats = acct.get("licensed_seats")
    seats_text = "seats unknown" if pd.isna(seats) else f"{seats:,.0f} seats"
    renewal = acct.get("renewal_date")
    if pd.isna(renewal):
        renews = "renewal date unknown"
    else:
        days = (pd.Timestamp(renewal) - as_of).days
        when = f"in {days:,} days" if days >= 0 else f"{-days:,} days ago"
        renews = f"renews {day(renewal)} ({when})"
    return f"{acct['tier']} · {arr} · {seats_text} · CSM {acct['csm']} · {renews}"


def day(ts: object) -> str:
    """``31 Oct 2026``, ``2 Jan 2026``: the one way a date is shown (tables: ``DAY_FORMAT``);
    "unknown" when there is no date."""
    if ts is None or pd.isna(ts):
        return "unknown"
    ts = pd.Timestamp(ts)
    return f"{ts.day} {ts:%b %Y}"


def day_month(ts: object) -> str:
    """``4 Sep``: :func:`day` without the year, for a date the sentence already places."""
    return day(ts).rsplit(" ", 1)[0] if not (ts is None or pd.isna(ts)) else "unknown"


def days(values, *, year: bool = True) -> pd.Series:
    """:func:`day` (or :func:`day_month` with ``year=False``) for a column of dates at once."""
    when = pd.Series(pd.to_datetime(values))
    out = when.dt.day.astype("Int64").astype("string") + when.dt.strftime(" %b")
    if year:
        out = out + when.dt.strftime(" %Y")
    return out.fillna("unknown")


DAY_FORMAT = "D MMM YYYY"  # st.column_config.DateColumn's format for the same ``2 Jan 2026``


def weeks(n: int) -> str:
    """``1 week``, ``12 weeks``."""
    return f"{n} week" if n == 1 else f"{n} weeks"


def clip(text: object, limit: int = 80) -> str:
    """A name short enough for a heading or a picker: cut at a word near ``limit`` with "…"
    (the full text belongs in a tooltip); "" for nothing."""
    if text is None or (not isinstance(text, str) and pd.isna(text)):
        return ""
    text = " ".join(str(text).split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip(" ,;·-") + "…"


def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 day``, ``0 days``, ``1,200 days`` (``many`` for an irregular plural: ``1 reply``)."""
    return f"{n:,} {word if abs(n) == 1 else (many or word + 's')}"
