"""The Insight library: every insight as it was sent, and the examples a new CSM learns from.

Pure functions the library page calls (it only reads widgets and renders):

- :func:`reader_texts` — the full text each reader got (the ``texts`` JSON the log keeps since
  revision 0004; else the one ``text``; history imported from a file has only its one-liner).
- :func:`five_parts` — a text split into the play's five parts (:data:`insight_engine.outputs.draft.PARTS`),
  as the drafts write them: greeting, one-liner, background, result, action, reinforcement,
  sign-off, one paragraph each.
- :func:`quality` and :func:`reason` — why an insight is worth studying: the five parts are
  there, it quotes numbers, it cites the customer's stated goal, the customer acted on it.
- :func:`examples` — the Examples tab: the insights the team marked, then (so the tab teaches on
  day one) landed insights chosen for those reasons, each with its reason.
- :func:`library_scope` — whose insights make up a person's library: their team's
  (:meth:`insight_engine.access.Viewer.library_accounts`), the team of a CSM the roles map gives
  none read from the ``manager`` column of the accounts they own.
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass

import pandas as pd

from insight_engine.access import Viewer
from insight_engine.analysis.detector import MOTION_LABELS
from insight_engine.fmt import day
from insight_engine.log.store import OUTCOMES
from insight_engine.outputs.draft import _DATE_LIKE, _NUMBER, AUDIENCES, PARTS

__all__ = [
    "HISTORY_NOTE",
    "LOCAL_USER",
    "OUTCOME_HELP",
    "PART_NAMES",
    "READER_NAMES",
    "Quality",
    "clean",
    "examples",
    "five_parts",
    "insight_line",
    "library_scope",
    "library_table",
    "marked_by",
    "numbers_in",
    "quality",
    "reader_texts",
    "reason",
]

LOCAL_USER = (
    "Local user"  # the name local mode acts under (insight_engine.outputs.sharing.LOCAL_USER)
)
READER_NAMES = {"admin": "Admin", "champion": "Champion", "executive": "Executive"}
# An outcome in a table cell is one or two words (the long label ran off at 800 px); its
# meaning is in the column's help.
OUTCOME_HELP = (
    "Landed: the customer acted on it. No response: nothing came back. Pushed back: the "
    "customer disagreed. Pending: no outcome recorded yet."
)


def outcome_words(outcomes: pd.Series) -> pd.Series:
    """Each logged outcome in a word or two for a table cell ("Landed", "No response",
    "Pending" when none was recorded); the meanings are :data:`OUTCOME_HELP`."""
    return outcomes.map(OUTCOMES).astype("string").str.split(":").str[0].fillna("Pending")


PART_NAMES = {
    "one_liner": "one-liner",
    "background": "background",
    "result": "result",
    "action": "action",
    "reinforcement": "reinforcement",
}
HISTORY_NOTE = (
    "What came from the team's history file keeps only its one-liner (the file does not hold "
    "the full text); what is logged in Rudder keeps each reader's full text."
)


def clean(value: object) -> str:
    """Text as a person reads it: NaN, None and blanks are empty, never "nan" or "None"."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    text = str(value).strip()
    return "" if text.lower() in ("nan", "none", "<na>") else text


def insight_line(row: pd.Series | dict, names: pd.Series | dict) -> str:
    """One logged insight's facts in a line, whatever the log kept of its text: ``Harbor Legal ·
    sent 18 Nov 2026 by Elena Murphy · Expansion · to Admin, Champion · Landed``. ``names`` maps
    account id to name; a fact the row lacks is left out, never "nan"."""
    r = dict(row)
    account = clean(r.get("account_id"))
    account = clean(pd.Series(names).get(account, account)) if account else ""
    when = r.get("sent_on", r.get("date"))
    sent = "" if when is None or pd.isna(when) else f"sent {day(when)}"
    by = clean(r.get("author")) or clean(r.get("csm"))
    if sent and by and by != LOCAL_USER:
        sent += f" by {by}"
    motion = clean(r.get("motion"))
    readers = [x for x in re.split(r"\s*\|\s*", clean(r.get("audience"))) if x]
    outcome = clean(r.get("outcome"))
    parts = [
        account,
        sent,
        MOTION_LABELS.get(motion, motion),
        "to " + ", ".join(READER_NAMES.get(x, x) for x in readers) if readers else "",
        OUTCOMES.get(outcome, outcome).split(":")[0] if outcome else "Pending",
    ]
    return " · ".join(p for p in parts if p)


def marked_by(name: object) -> str:
    """Who marked an example, when that is a person ("" for local mode's stand-in or a blank)."""
    who = clean(name)
    return "" if who == LOCAL_USER else who


def reader_texts(texts: object, text: object, audience: object) -> dict[str, str]:
    """Each reader's full final text, in the order sent.

    Parameters
    ----------
    texts : str or None
        The log's ``texts`` column: JSON ``{reader: text}`` (every reader's text).
    text : str or None
        The log's ``text`` column: the first reader's text (rows logged before ``texts``).
    audience : str or None
        ``"champion | executive"``: who it was sent to (names the single ``text``).

    Returns
    -------
    dict of str to str
        Empty when only a one-liner was kept.
    """
    raw = clean(texts)
    if raw:
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            out = {str(r): clean(t) for r, t in parsed.items() if clean(t)}
            if out:
                return out
    body = clean(text)
    if not body:
        return {}
    readers = [r.strip() for r in clean(audience).split("|") if r.strip() in AUDIENCES]
    return {readers[0] if readers else "reader": body}


_SUBJECT = re.compile(r"^\s*subject:[^\n]*\n", re.IGNORECASE)
_GREETING = re.compile(r"^(hi|hello|dear|hey|good (morning|afternoon))\b[^\n]{0,60},?$", re.I)
_SIGNOFF_WORDS = re.compile(
    r"^(best|thanks|thank you|cheers|regards|kind regards|all the best)\b", re.I
)


def _paragraphs(text: str) -> list[str]:
    body = _SUBJECT.sub("", text.replace("\r\n", "\n").replace("\r", "\n"), count=1)
    return [p.strip() for p in re.split(r"\n\s*\n", body) if p.strip()]


def five_parts(text: object) -> dict[str, str] | None:
    """The five parts of a sent text, or None when it does not have them.

    A text as the drafts write it (``Subject:`` line, greeting, one paragraph per part, sign-off)
    gives its parts back exactly. Paragraphs a CSM added go to the background (second) and the
    result (the middle ones); the action is the paragraph before the reinforcement (the last).
    Fewer than five paragraphs between greeting and sign-off, or words before the greeting:
    None (the text is then shown whole).
    """
    paras = _paragraphs(clean(text))
    if paras and _GREETING.match(paras[0]):
        paras = paras[1:]
    elif any(_GREETING.match(line.strip()) for p in paras[:2] for line in p.split("\n")):
        # words the CSM put before the greeting: the paragraphs no longer line up with the
        # parts, so the text is shown whole rather than labelled one paragraph off
        return None
    # The sign-off: judged by its first line, so a line the CSM typed under their name
    # ("Hannah\nHappy to walk you through it.") stays with it, not read as the reinforcement.
    first_line = paras[-1].split("\n", 1)[0].strip() if paras else ""
    if paras and (
        _SIGNOFF_WORDS.match(first_line)
        or (len(first_line) <= 40 and first_line[-1:] not in ".!?:")
    ):
        paras = paras[:-1]
    if len(paras) < len(PARTS):
        return None
    return {
        "one_liner": paras[0],
        "background": paras[1],
        "result": "\n\n".join(paras[2:-2]),
        "action": paras[-2],
        "reinforcement": paras[-1],
    }


def numbers_in(text: object) -> list[str]:
    """The numbers a text quotes (as written: ``26%``, ``721``, ``1,234``), dates and numbered
    steps left out — the same reading as :func:`insight_engine.outputs.draft.check_numbers`."""
    body = _DATE_LIKE.sub(" ", clean(text))
    body = re.sub(r"(?m)^\s*\d+\.\s", " ", body)
    body = _NAMED.sub(" ", body)  # "top 10", "60-day onboarding": names, not claims
    return list(dict.fromkeys(m.group(0) for m in _NUMBER.finditer(body)))


_WORD = re.compile(r"[a-z]{4,}")
_NAMED = re.compile(r"\btop \d+\b|\b\d+-(?:day|week|month|minute|hour)\b", re.IGNORECASE)


def cites_goal(text: object, goal: object) -> bool:
    """Whether a text cites the customer's stated goal: quoted as written, or (paraphrased) at
    least two thirds of the goal's words of four letters or more."""
    body, aim = clean(text).lower(), clean(goal).lower().rstrip(".")
    if not body or not aim:
        return False
    if aim in body:
        return True
    words = set(_WORD.findall(aim))
    return len(words) >= 3 and len(words & set(_WORD.findall(body))) >= len(words) * 2 / 3


@dataclass(frozen=True)
class Quality:
    """What makes one insight worth studying."""

    parts: tuple[str, ...]  # the five parts present (all five, or none)
    numbers: tuple[str, ...]
    goal: str  # the stated goal it cites ("" when it does not)
    landed: bool
    full_text: bool  # False: only the one-liner was kept

    @property
    def score(self) -> int:
        return (
            3 * (len(self.parts) == len(PARTS))
            + 2 * bool(self.goal)
            + bool(self.numbers)
            + self.landed
            + self.full_text
        )


def quality(text: str, one_liner: object, goal: object, outcome: object) -> Quality:
    """How one insight measures up. ``text`` is the fullest text kept (a reader's), or ""."""
    body = clean(text)
    parts = five_parts(body) if body else None
    said = body or clean(one_liner)
    return Quality(
        parts=tuple(PARTS) if parts else (),
        numbers=tuple(numbers_in(said)[:4]),
        goal=clean(goal) if cites_goal(said, goal) else "",
        landed=clean(outcome) == "landed",
        full_text=bool(body),
    )


def reason(q: Quality) -> str:
    """Why it is a good example, sentence by sentence (what a new CSM should copy)."""
    out = []
    if len(q.parts) == len(PARTS):
        out.append("All five parts: " + ", ".join(PART_NAMES[p] for p in PARTS) + ".")
    if q.numbers:
        many = len(q.numbers) > 1
        out.append(
            f"{'Numbers' if many else 'A number'} the reader can check ({', '.join(q.numbers)})."
        )
    if q.goal:
        out.append(f"Cites the customer's own goal: \u201c{q.goal.rstrip('.')}.\u201d")
    if q.landed:
        out.append("The customer acted on it.")
    return " ".join(out) or "The team marked it as an example."


def _fullest(texts: dict[str, str]) -> str:
    """The text to study: the champion's (self-contained), else the first reader's."""
    return texts.get("champion") or next(iter(texts.values()), "")


def _shape(one_liner: pd.Series) -> pd.Series:
    """One-liners with their numbers blanked: "Tracking 58 more competitors…" is one shape."""
    return one_liner.fillna("").astype(str).str.replace(r"\d[\d,.]*", "#", regex=True).str.lower()


def examples(log: pd.DataFrame, accounts: pd.DataFrame, *, per_motion: int = 2) -> pd.DataFrame:
    """The Examples tab: the insights the team marked, then landed ones chosen to teach.

    Parameters
    ----------
    log : pandas.DataFrame
        The insight log as the person may see it (``InsightStore.insights``: ``id``,
        ``account_id``, ``motion``, ``one_liner``, ``text``, ``texts``, ``outcome``,
        ``library_example``, ``library_note``, ``library_by``, ``sent_on``, ``audience``).
    accounts : pandas.DataFrame
        The book's accounts (``account_id``, ``account_name``, ``stated_goal``).
    per_motion : int
        Suggested examples per motion, after the marked ones (best first, one per one-liner shape).

    Returns
    -------
    pandas.DataFrame
        One row per example: ``id``, ``motion``, ``motion_label``, ``account``, ``sent_on``,
        ``one_liner``, ``texts`` (reader -> text), ``why``, ``marked`` (True: a person chose it),
        ``by`` (who marked it, "" when not a person), ``full_text`` (False: only the one-liner
        was kept), ``score``; marked first, then by motion.
    """
    columns = ["id", "motion", "motion_label", "account", "sent_on", "one_liner", "texts",
               "why", "marked", "by", "full_text", "score"]  # fmt: skip
    if log.empty:
        return pd.DataFrame(columns=columns)
    marked = (
        log["library_example"].fillna(False).astype(bool) if "library_example" in log else False
    )
    landed = log["outcome"].astype("string").fillna("").eq("landed")
    pool = log.loc[marked | landed].copy()
    if pool.empty:
        return pd.DataFrame(columns=columns)
    acct = accounts.set_index("account_id")
    goal = acct["stated_goal"] if "stated_goal" in acct else pd.Series(dtype=object)
    names = acct["account_name"]
    # Texts are parsed for the few hundred candidates only (one JSON each: small, not numeric work)
    texts = [
        reader_texts(t, x, a)
        for t, x, a in zip(
            pool["texts"] if "texts" in pool else [None] * len(pool),
            pool["text"] if "text" in pool else [None] * len(pool),
            pool["audience"] if "audience" in pool else [None] * len(pool),
            strict=True,
        )
    ]
    qualities = [
        quality(_fullest(t), o, goal.get(a), oc)
        for t, o, a, oc in zip(
            texts, pool["one_liner"], pool["account_id"], pool["outcome"], strict=True
        )
    ]
    is_marked = (
        pool["library_example"].fillna(False).astype(bool)
        if "library_example" in pool
        else pd.Series(False, index=pool.index)
    )
    by = (
        pool["library_by"].map(marked_by)
        if "library_by" in pool
        else pd.Series("", index=pool.index)
    )
    notes = (
        pool["library_note"].map(clean)
        if "library_note" in pool
        else pd.Series("", index=pool.index)
    )
    out = pd.DataFrame(
        {
            "id": pool["id"].to_numpy(),
            "motion": pool["motion"].astype(str).to_numpy(),
            "account": pool["account_id"]
            .map(names)
            .fillna(pool["account_id"])
            .map(clean)
            .to_numpy(),
            "sent_on": pd.to_datetime(pool["sent_on"]).to_numpy(),
            "one_liner": pool["one_liner"].map(clean).to_numpy(),
            "texts": texts,
            "why": [
                n if m and n else reason(q)
                for m, n, q in zip(is_marked, notes, qualities, strict=True)
            ],
            "marked": is_marked.to_numpy(),
            "by": by.where(is_marked, "").to_numpy(),
            "full_text": [q.full_text for q in qualities],
            "score": [q.score for q in qualities],
            "shape": _shape(pool["one_liner"]).to_numpy(),
        }
    )
    out["motion_label"] = (
        out["motion"]
        .map(MOTION_LABELS)
        .fillna(out["motion"].str.replace("_", " ").str.capitalize())
    )
    # one suggestion per one-liner shape, the best (then newest) of each, per_motion per motion
    suggested = (
        out.loc[~out["marked"] & ~out["shape"].isin(set(out.loc[out["marked"], "shape"]))]
        .sort_values(["score", "sent_on", "id"], ascending=False, kind="stable")
        .drop_duplicates("shape")
        .groupby("motion", sort=False)
        .head(per_motion)
    )
    order = {m: i for i, m in enumerate(MOTION_LABELS)}
    chosen = pd.concat([out.loc[out["marked"]], suggested])
    chosen = chosen.assign(_m=chosen["motion"].map(order).fillna(len(order)))
    chosen = chosen.sort_values(
        ["marked", "_m", "score", "sent_on"], ascending=[False, True, False, False], kind="stable"
    )
    return chosen[columns].reset_index(drop=True)


def library_table(log: pd.DataFrame, accounts: pd.DataFrame) -> pd.DataFrame:
    """The All-insights table in people's words: motion, readers and outcome as labels (an outcome
    in a word or two: "Landed", see :data:`OUTCOME_HELP`), blanks empty (never "nan"), and whether
    the full text was kept."""
    names = accounts.set_index("account_id")["account_name"]
    readers = log["audience"].astype("string").fillna("").str.split(r"\s*\|\s*")
    has_text = (
        log["texts"].astype("string").fillna("").str.len().gt(0)
        if "texts" in log
        else pd.Series(False, index=log.index)
    ) | (
        log["text"].astype("string").fillna("").str.strip().str.len().gt(0)
        if "text" in log
        else False
    )
    return pd.DataFrame(
        {
            "sent_on": pd.to_datetime(log["sent_on"]),
            "account": log["account_id"].map(names).fillna(log["account_id"]).map(clean),
            "csm": log["csm"].map(clean),
            "motion": log["motion"].map(MOTION_LABELS).fillna(log["motion"]).map(clean),
            "readers": readers.map(lambda rs: ", ".join(READER_NAMES.get(r, r) for r in rs if r)),
            "one_liner": log["one_liner"].map(clean),
            "outcome": outcome_words(log["outcome"]),
            "tags": log["tags"].map(clean).str.replace(r"\s*\|\s*", ", ", regex=True),
            "full_text": has_text.to_numpy(),
            "library_example": log["library_example"].fillna(False).astype(bool)
            if "library_example" in log
            else False,
        },
        index=log.index,
    )


def library_scope(viewer: Viewer, accounts: pd.DataFrame) -> pd.Series:
    """A boolean mask over ``accounts``: whose insights make up this person's library.

    The team's accounts (:meth:`Viewer.library_accounts`). A CSM the roles map (or local mode)
    gives no team belongs to the team of the accounts they own: the ``manager`` of those
    accounts, so every CSM of a team sees the team's examples.
    """
    if viewer.role == "csm" and not viewer.team and "manager" in accounts.columns:
        own = accounts.loc[viewer.visible_accounts(accounts), "manager"].dropna().astype(str)
        own = own.str.strip().loc[lambda s: s != ""]
        if len(own):
            team = own.value_counts().index[0]  # the manager of most of their accounts
            viewer = dataclasses.replace(viewer, team=team)
    return viewer.library_accounts(accounts)
