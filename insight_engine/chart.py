"""Charts made to be forwarded: every chart says what it shows, where to look and why it matters.

The visual standard (README, "The visual standard"), enforced by :func:`check_visual_standard`
on every chart a builder returns:

- a **title that states the takeaway with its number**, not a field name;
- a **subtitle that says how to read it**;
- plain-English **axis titles** (catalog labels with units), never raw metric keys;
- a **"look here" mark**: the point, span or bar that carries the message, in the one highlight
  colour, with a short text callout on the chart;
- a labelled goal or threshold rule where one exists, and a peer band (median and middle 50% of
  the same tier) where a comparison helps;
- a colour-blind-safe palette (Okabe–Ito) with one highlight colour, and plain-word tooltips.

Builders receive pre-aggregated data (weeks, not days; a few hundred rows at most). Each returns
a :class:`LabelledChart` with a one-paragraph "how to read this" caption whose first sentence is
the visual label the drafts use. :func:`to_png` renders a chart at 2× for pasting into email.

Charts draw only the weeks with data (an account's weeks before its first usage row are no
data, not zero), and a title claims only what they hold: a change "over 4 weeks" needs a value
4 weeks back, otherwise it names the span there is (:func:`_change_over`).
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass

import altair as alt
import numpy as np
import pandas as pd

from insight_engine.book import Book
from insight_engine.errors import RudderError

__all__ = [
    "PALETTE",
    "ChartStandardError",
    "LabelledChart",
    "cadence_heatmap",
    "cadence_vs_target",
    "check_visual_standard",
    "health_distribution",
    "health_trend",
    "insight_chart",
    "metric_trend",
    "to_png",
    "wins_by_tier",
]

# Okabe–Ito: colour-blind safe. One highlight colour; everything else blue or grey.
PALETTE = {
    "base": "#0072B2",
    "highlight": "#D55E00",
    "muted": "#999999",
    "band": "#BBBBBB",
    "good": "#009E73",
    "warn": "#E69F00",
    "bad": "#D55E00",
    "text": "#1d2a30",
    "sub": "#4a5a60",
}
WEEKS_SHOWN = 26
MAX_ROWS = 2_000


class ChartStandardError(RudderError):
    """A chart broke the visual standard (a bug in a builder, never the user's data)."""


@dataclass
class LabelledChart:
    """A chart, its "how to read this" paragraph, and the data behind it (small, pre-aggregated)."""

    chart: alt.TopLevelMixin
    caption: str
    data: pd.DataFrame

    @property
    def label(self) -> str:
        """The caption's first sentence: the one-line visual label used in drafts."""
        return re.split(r"(?<=\.)\s", self.caption, maxsplit=1)[0]

    @property
    def spec(self) -> dict:
        return self.chart.to_dict(validate=False)


def _fmt(x: float | None) -> str:
    if x is None or pd.isna(x):
        return "—"
    return f"{round(x):,}" if abs(x) >= 100 or abs(x - round(x)) < 0.05 else f"{x:,.1f}"


def _title(text: str, subtitle: str) -> alt.TitleParams:
    return alt.TitleParams(
        text=text,
        subtitle=subtitle,
        anchor="start",
        fontSize=15,
        subtitleFontSize=12,
        color=PALETTE["text"],
        subtitleColor=PALETTE["sub"],
    )


def _walk(spec: dict):
    yield spec
    for key in ("layer", "hconcat", "vconcat", "concat"):
        for child in spec.get(key, []) or []:
            yield from _walk(child)


def check_visual_standard(spec: dict, *, raw_keys: set[str] = frozenset()) -> list[str]:
    """What a chart's Vega-Lite spec is missing from the visual standard (empty = compliant)."""
    problems = []
    title = spec.get("title") or {}
    text = title.get("text", "") if isinstance(title, dict) else str(title)
    if not re.search(r"\d", str(text)):
        problems.append("the title does not state the takeaway with its number")
    if isinstance(title, dict) and not title.get("subtitle"):
        problems.append("no subtitle saying how to read the chart")
    axis_titles: dict[str, list] = {"x": [], "y": []}
    colours, has_text, has_tooltip = set(), False, False
    for node in _walk(spec):
        mark = node.get("mark")
        mark_type = mark.get("type") if isinstance(mark, dict) else mark
        if mark_type == "text":
            has_text = True
        if isinstance(mark, dict) and mark.get("color"):
            colours.add(str(mark["color"]).upper())
        enc = node.get("encoding", {}) or {}
        for channel in ("x", "y"):
            ch = enc.get(channel)
            if isinstance(ch, dict) and "field" in ch and not ("axis" in ch and ch["axis"] is None):
                axis_titles[channel].append(ch.get("title"))
        if "tooltip" in enc:
            has_tooltip = True
        colour = enc.get("color", {})
        if isinstance(colour, dict) and "value" in colour:
            colours.add(str(colour["value"]).upper())
    for channel, titles in axis_titles.items():
        named = [t for t in titles if t]
        if titles and not named:
            problems.append(f"the {channel} axis has no plain-English title")
        for t in named:
            if str(t) in raw_keys or re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)+", str(t)):
                problems.append(f"axis title {t!r} is a raw key, not a catalog label")
    if PALETTE["highlight"].upper() not in colours:
        problems.append("no 'look here' mark in the highlight colour")
    if not has_text:
        problems.append("no text callout on the chart")
    if not has_tooltip:
        problems.append("no tooltips")
    allowed = {v.upper() for v in PALETTE.values()}
    stray = {c for c in colours if c.startswith("#") and c not in allowed}
    if stray:
        problems.append(f"colours outside the palette: {sorted(stray)}")
    return problems


def _standard(
    chart: alt.TopLevelMixin, caption: str, data: pd.DataFrame, *, raw_keys: set[str]
) -> LabelledChart:
    """Every insight chart leaves through here: the visual standard is checked, not hoped for."""
    if len(data) > MAX_ROWS:
        raise ChartStandardError(f"chart data has {len(data):,} rows; aggregate before charting")
    chart = chart.configure_view(strokeWidth=0).configure_axis(
        labelColor=PALETTE["sub"], titleColor=PALETTE["sub"], gridColor="#e6e9ea"
    )
    # Schema validation is slow and belongs in the tests; the standard is checked on every chart.
    problems = check_visual_standard(chart.to_dict(validate=False), raw_keys=raw_keys)
    if problems:
        raise ChartStandardError("; ".join(problems))
    return LabelledChart(chart, caption, data)


def _simple(title: str, why: str) -> LabelledChart:
    """An honest, simpler chart when the data is too thin: a message, labelled as such."""
    data = pd.DataFrame({"x": [0], "y": [0], "text": [why]})
    chart = (
        alt.Chart(data)
        .mark_text(fontSize=14, color=PALETTE["highlight"])
        .encode(
            x=alt.X("x:Q", title="No data to plot", axis=None),
            y=alt.Y("y:Q", title="No data to plot", axis=None),
            text="text:N",
            tooltip=[alt.Tooltip("text:N", title="Why")],
        )
        .properties(
            height=120,
            width=520,
            title=_title(
                f"{title} (0 weeks to show)", "There is not enough data to draw this chart yet."
            ),
        )
    )
    return LabelledChart(chart, f"No chart yet: {why}", data)


def to_png(chart: LabelledChart | alt.TopLevelMixin, *, scale: float = 2.0) -> bytes:
    """The chart as a PNG at ``scale``× (offline, with vl-convert), ready to paste into an email."""
    import vl_convert as vlc

    spec = chart.spec if isinstance(chart, LabelledChart) else chart.to_dict(validate=False)
    return vlc.vegalite_to_png(spec, scale=scale)


# ---------------------------------------------------------------------------------------------
# Data helpers (vectorized over the tier; a handful of weeks)


def _tier_rows(book: Book, account_id: str) -> np.ndarray:
    tier = book.accounts.loc[book.accounts["account_id"] == account_id, "tier"].iloc[0]
    return (book.accounts["tier"] == tier).to_numpy()


def _series_with_band(
    book: Book, account_id: str, metric: str, weeks: int = WEEKS_SHOWN
) -> pd.DataFrame:
    m = book.weekly.metrics.get_loc(metric)
    values = book.weekly.values[:, -weeks:, m]
    peers = values[_tier_rows(book, account_id)]
    with warnings.catch_warnings():  # a week where no peer has data stays empty
        warnings.simplefilter("ignore", RuntimeWarning)
        q25, q50, q75 = np.nanpercentile(peers, [25, 50, 75], axis=0)
    i = book.weekly.account_ids.get_loc(account_id)
    return pd.DataFrame(
        {
            "week_end": book.weekly.week_ends[-weeks:],
            "value": values[i],
            "peer_median": q50,
            "peer_low": q25,
            "peer_high": q75,
        }
    )


def _change_over(data: pd.DataFrame, column: str, weeks: int = 4) -> tuple[float, float, int]:
    """The latest value, the one ``weeks`` weeks before it (or the earliest, when the data starts
    later), and how many weeks apart they are: 0 when there is a single week of data.

    Parameters
    ----------
    data : pandas.DataFrame
        ``week_end`` and ``column``, one row per week; rows where ``column`` is NaN are skipped.
    column : str
        The value column.
    weeks : int
        How far back to compare.

    Returns
    -------
    now : float
    before : float
        NaN when there is a single week of data.
    apart : int
        Weeks between the two.
    """
    data = data.dropna(subset=[column])
    last = data["week_end"].iloc[-1]
    earlier = data.loc[data["week_end"] >= last - pd.Timedelta(weeks=weeks)].iloc[0]
    apart = int((last - earlier["week_end"]).days // 7)
    now = float(data[column].iloc[-1])
    return now, float(earlier[column]) if apart else float("nan"), apart


def _weeks_text(n: int) -> str:
    return f"{n} week" if n == 1 else f"{n} weeks"


def _health_title(now: float, before: float, apart: int) -> str:
    """'Health 62 of 100, down 9 over 4 weeks' — the span the data holds, or none."""
    if not apart:
        return f"Health {now:.0f} of 100 (1 week of data)"
    delta = now - before
    if abs(delta) < 1:
        return f"Health steady at {now:.0f} of 100 over {_weeks_text(apart)}"
    move = f"up {delta:.0f}" if delta > 0 else f"down {abs(delta):.0f}"
    return f"Health {now:.0f} of 100, {move} points over {_weeks_text(apart)}"


def _label(book: Book, metric: str) -> tuple[str, str]:
    row = book.metrics.loc[book.metrics["metric"] == metric]
    label = str(row["label"].iloc[0]) if len(row) else metric.replace("_", " ").capitalize()
    unit = str(row["unit"].iloc[0]) if len(row) and pd.notna(row["unit"].iloc[0]) else ""
    return label, unit


# ---------------------------------------------------------------------------------------------
# Insight charts, one per motion


def _metric_goal(book: Book, metric: str) -> str:
    """The catalog's goal for a metric, as a phrase ('' when the catalog has none)."""
    if "goal" not in book.metrics:
        return ""
    row = book.metrics.loc[book.metrics["metric"] == metric, "goal"]
    goal = str(row.iloc[0]).strip().rstrip(".") if len(row) and pd.notna(row.iloc[0]) else ""
    return goal if goal[:2].isupper() else goal[:1].lower() + goal[1:]


def win_chart(
    book: Book,
    account_id: str,
    metric: str,
    *,
    recent_weeks: int = 4,
    baseline_weeks: int = 8,
    levels: tuple[float | None, float | None] = (None, None),
) -> LabelledChart:
    """Outcome trend with the improvement span highlighted and the before/after values called out.

    ``levels`` are the signal's own before/after (its evidence): the title and callouts then
    claim exactly what the signal and the drafts say; without them, the windows' means."""
    label, unit = _label(book, metric)
    data = _series_with_band(book, account_id, metric).dropna(subset=["value"])
    goal = _metric_goal(book, metric)
    return _trend_chart(
        book,
        account_id,
        data,
        label,
        unit,
        recent_weeks=recent_weeks,
        baseline_weeks=baseline_weeks,
        meaning=f" A rise here is an early sign of progress on {goal}." if goal else "",
        levels=levels,
    )


def activity_chart(book: Book, account_id: str, *, recent_weeks: int = 4) -> LabelledChart:
    """The team's activity (every adoption count of the catalog, added up) week by week, the last
    weeks against the ones before, the tier's middle half as a band: what a slowdown looks like
    from the outside, with no internal score."""
    from insight_engine.rollup import aggregations

    catalog = book.metrics.set_index("metric").reindex(book.weekly.metrics)
    how = aggregations(catalog.reset_index())
    counts = [
        m
        for m, c, a in zip(book.weekly.metrics, catalog["category"], how, strict=True)
        if c == "adoption" and a == "sum"  # counts add up; a level (projects running) does not
    ]
    label = "Activity"
    if not counts:
        return _simple(label, "the metric catalog has no activity counts to draw.")
    k = book.weekly.metrics.get_indexer(counts)
    values = book.weekly.values[:, -WEEKS_SHOWN:, :][:, :, k]
    total = np.where(np.isnan(values).all(axis=2), np.nan, np.nansum(values, axis=2))
    peers = total[_tier_rows(book, account_id)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        q25, q50, q75 = np.nanpercentile(peers, [25, 50, 75], axis=0)
    i = book.weekly.account_ids.get_loc(account_id)
    data = pd.DataFrame(
        {
            "week_end": book.weekly.week_ends[-WEEKS_SHOWN:],
            "value": total[i],
            "peer_median": q50,
            "peer_low": q25,
            "peer_high": q75,
        }
    ).dropna(subset=["value"])
    names = ", ".join(_label(book, m)[0].lower() for m in counts[:3])
    return _trend_chart(
        book,
        account_id,
        data,
        label,
        "actions a week",
        recent_weeks=recent_weeks,
        baseline_weeks=recent_weeks,
        meaning=f" Activity adds up everything the team did in a week ({names}"
        + (" and more" if len(counts) > 3 else "")
        + ").",
    )


def _trend_chart(
    book: Book,
    account_id: str,
    data: pd.DataFrame,
    label: str,
    unit: str,
    *,
    recent_weeks: int,
    baseline_weeks: int,
    meaning: str,
    levels: tuple[float | None, float | None] = (None, None),
) -> LabelledChart:
    """A weekly trend (``data``: week_end, value and the tier's peer band) with the last
    ``recent_weeks`` shaded and their average called out against the weeks before."""
    if len(data) < recent_weeks + 1:
        return _simple(label, f"fewer than {recent_weeks + 1} weeks of {label.lower()} on record.")
    tier = book.account(account_id)["tier"]
    recent = data.tail(recent_weeks)
    base = data.iloc[-(recent_weeks + baseline_weeks) : -recent_weeks]
    before, after = (
        float(given) if given is not None and pd.notna(given) else float(window["value"].mean())
        for given, window in zip(levels, (base, recent), strict=True)
    )
    change = after / before - 1 if before else 0.0
    start = recent["week_end"].min() - pd.Timedelta(days=3)
    title = (
        f"{label} up {change:.0%} in {recent_weeks} weeks"
        if change >= 0.005
        else f"{label} down {abs(change):.0%} in {recent_weeks} weeks"
        if change <= -0.005
        else f"{label}: {_fmt(after)} a week"
    )
    x = alt.X("week_end:T", title="Week ending")
    y = alt.Y("value:Q", title=f"{label} ({unit})" if unit else label)
    tip = [
        alt.Tooltip("week_end:T", title="Week ending"),
        alt.Tooltip("value:Q", title=label, format=",.0f"),
        alt.Tooltip("peer_median:Q", title=f"Typical {tier} customer", format=",.0f"),
    ]
    band = (
        alt.Chart(data)
        .mark_area(color=PALETTE["band"], opacity=0.35)
        .encode(
            x=x,
            y=alt.Y("peer_low:Q", title=f"{label} ({unit})" if unit else label),
            y2="peer_high:Q",
            tooltip=tip,
        )
    )
    span = (
        alt.Chart(
            pd.DataFrame({"start": [start], "end": [data["week_end"].max() + pd.Timedelta(days=3)]})
        )
        .mark_rect(color=PALETTE["highlight"], opacity=0.12)
        .encode(x="start:T", x2="end:T")
    )
    line = (
        alt.Chart(data)
        .mark_line(
            color=PALETTE["base"], strokeWidth=2.5, point=alt.OverlayMarkDef(color=PALETTE["base"])
        )
        .encode(x=x, y=y, tooltip=tip)
    )
    callouts = pd.DataFrame(
        {
            "week_end": [
                base["week_end"].iloc[len(base) // 2],
                recent["week_end"].iloc[len(recent) // 2],
            ],
            "value": [before, after],
            "text": [f"before: {_fmt(before)}", f"now: {_fmt(after)}"],
        }
    )
    marks = (
        alt.Chart(callouts)
        .mark_point(color=PALETTE["highlight"], size=110, filled=True)
        .encode(x="week_end:T", y="value:Q", tooltip=[alt.Tooltip("text:N", title="Average")])
    )
    text = (
        alt.Chart(callouts)
        .mark_text(color=PALETTE["highlight"], dy=-14, fontWeight="bold")
        .encode(x="week_end:T", y="value:Q", text="text:N")
    )
    chart = alt.layer(band, span, line, marks, text).properties(
        width=560,
        height=260,
        title=_title(
            title,
            f"Each dot is one week. The orange band is the last {recent_weeks} weeks; the grey band is "
            f"the middle half of similar {tier} customers.",
        ),
    )
    move = "climbs" if after > before else "falls" if after < before else "stays"
    caption = (
        f"The blue line is {label.lower()} each week; look at the orange band, the last {recent_weeks} weeks, "
        f"where the average {move} from {_fmt(before)} to {_fmt(after)}. The grey band shows where the middle "
        f"half of similar {tier} customers sit, so you can see how {book.account(account_id)['account_name']} "
        f"compares.{meaning}"
    )
    return _standard(chart, caption, data, raw_keys=set(book.weekly.metrics))


def feature_chart(book: Book, account_id: str, metric: str, partner: str | None) -> LabelledChart:
    """This account vs its tier peers on the complementary capabilities, the gap called out."""
    metrics = [m for m in (partner, metric) if m]
    A = book.weekly.values
    seats = book.accounts["licensed_seats"].to_numpy(dtype=float)
    rows = _tier_rows(book, account_id)
    i = book.weekly.account_ids.get_loc(account_id)
    tier = book.account(account_id)["tier"]
    records = []
    enough = book.weekly.weeks_with_data >= 4  # a peer with fewer weeks would look low
    for m in metrics:  # one or two capabilities
        k = book.weekly.metrics.get_loc(m)
        four = np.where(enough, np.nansum(A[:, -4:, k], axis=1), np.nan) / np.where(
            seats > 0, seats, np.nan
        )
        label, _ = _label(book, m)
        with np.errstate(all="ignore"):
            peer = float(np.nanmedian(four[rows]))
        records += [
            {
                "capability": label,
                "who": book.account(account_id)["account_name"],
                "per_seat": four[i],
                "is_gap": m == metric,
            },
            {
                "capability": label,
                "who": f"Typical {tier} customer",
                "per_seat": peer,
                "is_gap": False,
            },
        ]
    data = pd.DataFrame(records)
    gap_label, _ = _label(book, metric)
    mine = data.loc[data["is_gap"], "per_seat"].iloc[0]
    peer = data.loc[(data["capability"] == gap_label) & ~data["is_gap"], "per_seat"].iloc[0]
    data["colour"] = np.where(
        data["is_gap"],
        "highlight",
        np.where(data["who"].str.startswith("Typical"), "peer", "account"),
    )
    data["label"] = data["per_seat"].map(lambda v: _fmt(v))
    # One small panel per capability, kept simple so it renders well in an email:
    panels = []
    for cap, sub in data.groupby("capability", sort=False):
        base = alt.Chart(sub).encode(
            y=alt.Y(
                "who:N",
                title=cap,
                sort=None,
                axis=alt.Axis(titleAngle=0, titleAlign="left", titleY=-6, titleX=0),
            )
        )
        bar = base.mark_bar().encode(
            x=alt.X("per_seat:Q", title="Use per licensed seat, last 4 weeks"),
            color=alt.Color(
                "colour:N",
                legend=None,
                scale=alt.Scale(
                    domain=["highlight", "account", "peer"],
                    range=[PALETTE["highlight"], PALETTE["base"], PALETTE["band"]],
                ),
            ),
            tooltip=[
                alt.Tooltip("who:N", title="Who"),
                alt.Tooltip("per_seat:Q", title=f"{cap} per seat", format=",.1f"),
            ],
        )
        lab = base.mark_text(align="left", dx=4, color=PALETTE["text"]).encode(
            x="per_seat:Q", text="label:N"
        )
        panels.append(alt.layer(bar, lab).properties(width=460, height=70))
    callout = (
        alt.Chart(
            pd.DataFrame({"x": [0], "y": [0], "t": [f"Gap: {_fmt(mine)} vs {_fmt(peer)} per seat"]})
        )
        .mark_text(align="left", color=PALETTE["highlight"], fontWeight="bold")
        .encode(
            x=alt.X("x:Q", axis=None, title="Gap"),
            y=alt.Y("y:Q", axis=None, title="Gap"),
            text="t:N",
            tooltip=[alt.Tooltip("t:N", title="The gap")],
        )
        .properties(width=460, height=20)
    )
    chart = alt.vconcat(callout, *panels).properties(
        title=_title(
            f"{gap_label}: {_fmt(mine)} per seat vs a typical {_fmt(peer)}",
            f"Each bar is use per licensed seat over the last 4 weeks. Orange is the gap; grey is the typical "
            f"{tier} customer.",
        )
    )
    caption = (
        f"Each pair of bars compares {book.account(account_id)['account_name']} with the typical {tier} customer; "
        f"look at the orange bar, {gap_label.lower()}, where the team sits at {_fmt(mine)} per seat against a "
        f"typical {_fmt(peer)}. The other pair shows the team already uses the capability it complements."
    )
    return _standard(chart, caption, data, raw_keys=set(book.weekly.metrics))


def practice_chart(book: Book, account_id: str, metric: str, target: float) -> LabelledChart:
    """The configuration value against the recommended target (and the tier median)."""
    label, unit = _label(book, metric)
    i = book.weekly.account_ids.get_loc(account_id)
    k = book.weekly.metrics.get_loc(metric)
    values = book.weekly.values[:, -1, k]
    with np.errstate(all="ignore"):
        peer = float(np.nanmedian(values[_tier_rows(book, account_id)]))
    mine = float(values[i])
    tier = book.account(account_id)["tier"]
    data = pd.DataFrame(
        {
            "who": [str(book.account(account_id)["account_name"]), f"Typical {tier} customer"],
            "value": [mine, peer],
            "colour": ["highlight", "peer"],
        }
    )
    data["label"] = data["value"].map(_fmt)
    x = alt.X("value:Q", title=f"{label} ({unit})" if unit else label, scale=alt.Scale(domainMin=0))
    bars = (
        alt.Chart(data)
        .mark_bar(height=28)
        .encode(
            x=x,
            y=alt.Y("who:N", title="Account", sort=None),
            color=alt.Color(
                "colour:N",
                legend=None,
                scale=alt.Scale(
                    domain=["highlight", "peer"], range=[PALETTE["highlight"], PALETTE["band"]]
                ),
            ),
            tooltip=[
                alt.Tooltip("who:N", title="Who"),
                alt.Tooltip("value:Q", title=label, format=",.0f"),
            ],
        )
    )
    labels = (
        alt.Chart(data)
        .mark_text(align="left", dx=4, color=PALETTE["text"])
        .encode(x="value:Q", y=alt.Y("who:N", sort=None), text="label:N")
    )
    rule_data = pd.DataFrame({"value": [target], "text": [f"Recommended: {_fmt(target)}"]})
    rule = (
        alt.Chart(rule_data)
        .mark_rule(color=PALETTE["highlight"], strokeDash=[6, 4], strokeWidth=2)
        .encode(x="value:Q", tooltip=[alt.Tooltip("text:N", title="Goal")])
    )
    rule_text = (
        alt.Chart(rule_data)
        .mark_text(color=PALETTE["highlight"], align="left", dx=6, y=8, fontWeight="bold")
        .encode(x="value:Q", text="text:N")
    )
    chart = alt.layer(bars, labels, rule, rule_text).properties(
        width=520,
        height=110,
        title=_title(
            f"{label}: {_fmt(mine)} set up, {_fmt(target)} recommended",
            "The orange bar is this account today; the dashed line is the recommended level.",
        ),
    )
    caption = (
        f"The orange bar is how many {(unit or label).lower()} {book.account(account_id)['account_name']} has set up today "
        f"({_fmt(mine)}); look at the dashed line, the recommended {_fmt(target)}. The grey bar is the typical "
        f"{tier} customer ({_fmt(peer)}). Closing the gap improves every result the platform produces."
    )
    return _standard(chart, caption, data, raw_keys=set(book.weekly.metrics))


def stall_chart(
    book: Book, account_id: str, *, just_done: str | None = None, overdue: str | None = None
) -> LabelledChart:
    """Milestone timeline: due vs done, the overdue ones (or, for a win, the one ``just_done``)
    highlighted, today marked; the title names ``overdue`` (the signal's milestone) when given."""
    ms = book.milestones.loc[book.milestones["account_id"] == account_id].copy()
    if ms.empty:
        return _simple("Milestones", "no milestones are on record for this account.")
    today = book.as_of
    ms = ms.sort_values("due_date").tail(8)
    ms["end"] = ms["completed_date"].fillna(today)
    ms["status"] = np.where(
        ms["completed_date"].notna(),
        "done",
        np.where(ms["due_date"] < today, "overdue", "upcoming"),
    )
    if just_done:
        ms.loc[ms["milestone"] == just_done, "status"] = (
            "overdue"  # the highlight colour: "look here"
        )
        ms["text"] = np.where(ms["milestone"] == just_done, "just completed", "")
    if not just_done:
        ms["text"] = np.where(
            ms["status"] == "overdue",
            ((today - ms["due_date"]).dt.days).astype(str) + " days overdue",
            "",
        )
    worst = ms.loc[ms["status"] == "overdue"]
    y = alt.Y("milestone:N", title="Milestone", sort=None)
    bars = (
        alt.Chart(ms)
        .mark_bar(height=14)
        .encode(
            x=alt.X("due_date:T", title="Date"),
            x2="end:T",
            y=y,
            color=alt.Color(
                "status:N",
                title="Status",
                scale=alt.Scale(
                    domain=["done", "overdue", "upcoming"],
                    range=[PALETTE["base"], PALETTE["highlight"], PALETTE["band"]],
                ),
            ),
            tooltip=[
                alt.Tooltip("milestone:N", title="Milestone"),
                alt.Tooltip("due_date:T", title="Due"),
                alt.Tooltip("completed_date:T", title="Done"),
                alt.Tooltip("status:N", title="Status"),
            ],
        )
    )
    due = (
        alt.Chart(ms)
        .mark_tick(color=PALETTE["text"], thickness=2, size=18)
        .encode(x="due_date:T", y=y)
    )
    today_df = pd.DataFrame({"date": [today], "text": ["today"]})
    rule = (
        alt.Chart(today_df)
        .mark_rule(color=PALETTE["highlight"], strokeDash=[4, 4])
        .encode(x="date:T", tooltip=[alt.Tooltip("date:T", title="Today")])
    )
    rule_text = (
        alt.Chart(today_df)
        .mark_text(color=PALETTE["highlight"], dy=-8, align="left", dx=4, fontWeight="bold")
        .encode(x="date:T", y=alt.value(0), text="text:N")
    )
    labels = (
        alt.Chart(ms)
        .mark_text(align="left", dx=6, color=PALETTE["highlight"], fontWeight="bold")
        .encode(x="end:T", y=y, text="text:N")
    )
    if just_done:
        done_on = ms.loc[ms["milestone"] == just_done, "completed_date"].iloc[-1]
        title = f"{just_done} completed on {done_on:%d %b %Y}"
    elif len(worst):
        named = worst.loc[worst["milestone"] == overdue] if overdue else worst.iloc[0:0]
        focus = (named if len(named) else worst).iloc[-1]
        title = f"{focus['milestone']}: {(today - focus['due_date']).days} days overdue"
    else:
        title = f"{int((ms['status'] == 'done').sum())} of {len(ms)} milestones done"
    chart = alt.layer(bars, due, rule, rule_text, labels).properties(
        width=540,
        height=max(120, 30 * len(ms)),
        title=_title(
            title,
            "Each bar runs from a step's due date (black tick) to when it was done; orange means still open.",
        ),
    )
    caption = (
        "Each bar is a step in the plan, running from its due date (the black tick) to when it was done; look at "
        + (
            f"the orange bar, {just_done}, the step just completed. Blue steps are done, grey ones are still ahead."
            if just_done
            else "the orange bar, the step still open past its due date, and the dashed line that marks today. "
            "Blue steps are done, grey ones are still ahead."
        )
    )
    return _standard(
        chart,
        caption,
        ms[["milestone", "kind", "due_date", "completed_date", "end", "status", "text"]],
        raw_keys=set(book.weekly.metrics),
    )


def risk_chart(book: Book, health, account_id: str, *, red_below: float = 50.0) -> LabelledChart:
    """Health over time with its component breakdown, the red band marked."""
    from insight_engine.health import COMPONENT_LABELS, COMPONENTS

    hist = health.history(account_id).tail(WEEKS_SHOWN)
    hist = hist.loc[hist["health"].notna()]  # only the weeks with a score (usage data)
    if len(hist) < 2:
        return _simple("Health", "fewer than two weeks of health score on record.")
    parts = hist.melt(
        id_vars=["week_end"],
        value_vars=[f"{c}_points" for c in COMPONENTS],
        var_name="component",
        value_name="points",
    )
    parts["component"] = parts["component"].str.replace("_points", "").map(COMPONENT_LABELS)
    now, before, apart = _change_over(hist, "health")
    x = alt.X("week_end:T", title="Week ending")
    area = (
        alt.Chart(parts)
        .mark_area(opacity=0.55)
        .encode(
            x=x,
            y=alt.Y(
                "points:Q",
                title="Health score (0–100)",
                stack=True,
                scale=alt.Scale(domain=[0, 100]),
            ),
            color=alt.Color(
                "component:N",
                title="Made up of",
                scale=alt.Scale(
                    domain=list(COMPONENT_LABELS.values()),
                    range=[PALETTE["base"], PALETTE["good"], PALETTE["warn"], PALETTE["muted"]],
                ),
            ),
            tooltip=[
                alt.Tooltip("week_end:T", title="Week ending"),
                alt.Tooltip("component:N", title="Component"),
                alt.Tooltip("points:Q", title="Points", format=".1f"),
            ],
        )
    )
    red = (
        alt.Chart(pd.DataFrame({"y": [0], "y2": [red_below]}))
        .mark_rect(color=PALETTE["bad"], opacity=0.08)
        .encode(y="y:Q", y2="y2:Q")
    )
    line = (
        alt.Chart(hist)
        .mark_line(color=PALETTE["text"], strokeWidth=2)
        .encode(
            x=x,
            y=alt.Y("health:Q", title="Health score (0–100)"),
            tooltip=[alt.Tooltip("health:Q", title="Health", format=".0f")],
        )
    )
    last = hist.tail(1).assign(text=f"now {now:.0f}")
    dot = (
        alt.Chart(last)
        .mark_point(color=PALETTE["highlight"], size=120, filled=True)
        .encode(
            x="week_end:T",
            y="health:Q",
            tooltip=[alt.Tooltip("health:Q", title="Health now", format=".0f")],
        )
    )
    text = (
        alt.Chart(last)
        .mark_text(color=PALETTE["highlight"], dx=-10, dy=-14, fontWeight="bold", align="right")
        .encode(x="week_end:T", y="health:Q", text="text:N")
    )
    red_text = (
        alt.Chart(pd.DataFrame({"y": [red_below], "t": [f"red below {red_below:.0f}"]}))
        .mark_text(align="left", dx=4, dy=10, color=PALETTE["bad"])
        .encode(y="y:Q", x=alt.value(0), text="t:N")
    )
    chart = alt.layer(red, area, line, dot, text, red_text).properties(
        width=560,
        height=260,
        title=_title(
            _health_title(now, before, apart),
            "The black line is the health score; the coloured layers show what it is made of. The pink band is red.",
        ),
    )
    caption = (
        f"The black line is the health score each week, and the coloured layers underneath show which parts it is "
        f"made of; look at the orange dot, this week's {now:.0f}, and at which layer shrank. Anything inside the "
        f"pink band (below {red_below:.0f}) is red."
    )
    return _standard(chart, caption, hist, raw_keys=set(book.weekly.metrics))


def expansion_chart(book: Book, account_id: str, metric: str) -> LabelledChart:
    """Active users against licensed seats over time, the cap marked."""
    label, unit = _label(book, metric)
    seats = float(book.account(account_id)["licensed_seats"])
    data = _series_with_band(book, account_id, metric).dropna(subset=["value"])[
        ["week_end", "value"]
    ]
    if data.empty:
        return _simple(label, f"no {label.lower()} on record.")
    now = float(data["value"].iloc[-1])
    latest = pd.Timestamp(data["week_end"].iloc[-1])
    when = "" if latest == book.as_of else f" in the week ending {latest:%d %b}"
    x = alt.X("week_end:T", title="Week ending")
    y = alt.Y(
        "value:Q",
        title=f"{label} ({unit})" if unit else label,
        scale=alt.Scale(domain=[0, max(seats, now) * 1.1]),
    )
    line = (
        alt.Chart(data)
        .mark_line(color=PALETTE["base"], strokeWidth=2.5, point=True)
        .encode(
            x=x,
            y=y,
            tooltip=[
                alt.Tooltip("week_end:T", title="Week ending"),
                alt.Tooltip("value:Q", title=label, format=",.0f"),
            ],
        )
    )
    cap = pd.DataFrame({"value": [seats], "text": [f"{_fmt(seats)} licensed seats"]})
    rule = (
        alt.Chart(cap)
        .mark_rule(color=PALETTE["highlight"], strokeDash=[6, 4], strokeWidth=2)
        .encode(y="value:Q", tooltip=[alt.Tooltip("text:N", title="Cap")])
    )
    rule_text = (
        alt.Chart(cap)
        .mark_text(color=PALETTE["highlight"], align="left", dx=4, dy=-8, fontWeight="bold")
        .encode(y="value:Q", x=alt.value(0), text="text:N")
    )
    chart = alt.layer(line, rule, rule_text).properties(
        width=560,
        height=240,
        title=_title(
            f"{_fmt(now)} of {_fmt(seats)} seats in use{when} ({now / seats:.0%})"
            if seats
            else f"{_fmt(now)} {label.lower()}{when}",
            "Each dot is one week of active people; the dashed line is the number of seats the team has.",
        ),
    )
    caption = (
        f"The blue line is how many people used the platform each week; look at how close it runs to the dashed "
        f"orange line, the {_fmt(seats)} seats the team has. When the line meets it, new colleagues have to wait for a seat."
    )
    return _standard(chart, caption, data, raw_keys=set(book.weekly.metrics))


def survey_chart(book: Book, account_id: str) -> LabelledChart:
    """NPS responses over time, the latest highlighted, the promoter and detractor zones marked."""
    s = book.surveys.loc[
        (book.surveys["account_id"] == account_id) & (book.surveys["kind"] == "nps")
    ].sort_values("date")
    if s.empty:
        return _simple("NPS", "no NPS responses are on record for this account.")
    data = s[["date", "score"]].assign(latest=False, text="")
    data.iloc[-1, data.columns.get_loc("latest")] = True
    latest = float(data["score"].iloc[-1])
    data.iloc[-1, data.columns.get_loc("text")] = f"latest: {latest:.0f}"
    x = alt.X("date:T", title="Response date")
    y = alt.Y("score:Q", title="NPS score (0–10)", scale=alt.Scale(domain=[0, 10]))
    zones = pd.DataFrame(
        {"y": [0, 9], "y2": [6, 10], "zone": ["detractor (0–6)", "promoter (9–10)"]}
    )
    band = (
        alt.Chart(zones).mark_rect(opacity=0.08, color=PALETTE["muted"]).encode(y="y:Q", y2="y2:Q")
    )
    band_text = (
        alt.Chart(zones)
        .mark_text(align="left", dx=4, dy=8, color=PALETTE["sub"])
        .encode(y="y2:Q", x=alt.value(0), text="zone:N")
    )
    dots = (
        alt.Chart(data)
        .mark_point(filled=True, size=90)
        .encode(
            x=x,
            y=y,
            color=alt.Color(
                "latest:N",
                legend=None,
                scale=alt.Scale(
                    domain=[False, True], range=[PALETTE["base"], PALETTE["highlight"]]
                ),
            ),
            tooltip=[alt.Tooltip("date:T", title="Date"), alt.Tooltip("score:Q", title="Score")],
        )
    )
    text = (
        alt.Chart(data.tail(1))
        .mark_text(color=PALETTE["highlight"], dy=-14, fontWeight="bold", align="right")
        .encode(x="date:T", y="score:Q", text="text:N")
    )
    chart = alt.layer(band, band_text, dots, text).properties(
        width=540,
        height=220,
        title=_title(
            f"Latest NPS: {latest:.0f} out of 10",
            "Each dot is one survey response; the orange one is the latest.",
        ),
    )
    caption = (
        f"Each dot is one survey answer to 'how likely are you to recommend us' (0–10); look at the orange dot, "
        f"the latest, {latest:.0f}. Answers of 9–10 come from promoters, 0–6 from detractors."
    )
    return _standard(chart, caption, data, raw_keys=set(book.weekly.metrics))


def insight_chart(book: Book, health, signal: dict, *, red_below: float = 50.0) -> LabelledChart:
    """The chart for a signal (a record from :func:`insight_engine.detector.signal_records`): the
    kind its detector's registry entry names, drawn from the signal's structured evidence."""
    from insight_engine.detector import DETECTORS

    ev = signal["evidence"]
    account_id = signal["account_id"]
    metric = ev.get("metric")
    detector = DETECTORS.get(signal["detector"])
    kind = detector.chart if detector else "activity"
    if kind == "trend" and metric:
        return win_chart(book, account_id, metric, levels=(ev.get("before"), ev.get("after")))
    if kind == "comparison" and metric:
        return feature_chart(book, account_id, metric, ev.get("partner"))
    if kind == "target" and metric and ev.get("target") is not None:
        return practice_chart(book, account_id, metric, float(ev["target"]))
    if kind == "timeline":
        win = signal["motion"] == "win"
        return stall_chart(
            book,
            account_id,
            just_done=ev.get("milestone") if win else None,
            overdue=None if win else ev.get("milestone"),
        )
    if kind == "survey":
        return survey_chart(book, account_id)
    if kind == "seats":
        seat_metric = metric or next(
            (m for m in book.metrics.loc[book.metrics["category"] == "seats", "metric"]), None
        )
        if seat_metric:
            return expansion_chart(book, account_id, seat_metric)
    if kind == "health":
        return risk_chart(book, health, account_id, red_below=red_below)
    return activity_chart(book, account_id)


# ---------------------------------------------------------------------------------------------
# Page charts (account and team views)


def health_trend(
    history: pd.DataFrame, *, red_below: float, green_above: float, account_name: str
) -> LabelledChart:
    """Weekly health score with the red and green thresholds marked."""
    data = history[["week_end", "health"]].dropna()
    if data.empty:
        return _simple("Health", "there is no usage on record for this account yet.")
    now, before, apart = _change_over(data, "health")
    title = _health_title(now, before, apart)
    base = alt.Chart(data).encode(
        x=alt.X("week_end:T", title="Week ending"),
        y=alt.Y("health:Q", title="Health score (0–100)", scale=alt.Scale(domain=[0, 100])),
        tooltip=[
            alt.Tooltip("week_end:T", title="Week ending"),
            alt.Tooltip("health:Q", title="Health", format=".0f"),
        ],
    )
    line = base.mark_line(color=PALETTE["base"], strokeWidth=2.5)
    last = alt.Chart(data.tail(1).assign(text=f"now {now:.0f}")).encode(
        x="week_end:T", y="health:Q"
    )
    dot = last.mark_point(color=PALETTE["highlight"], size=90, filled=True)
    dot_text = last.mark_text(
        color=PALETTE["highlight"], dy=-12, align="right", fontWeight="bold"
    ).encode(text="text:N")
    rules = pd.DataFrame(
        {
            "y": [red_below, green_above],
            "label": [f"Below {red_below:.0f}: red", f"Above {green_above:.0f}: green"],
        }
    )
    rule = alt.Chart(rules).mark_rule(strokeDash=[4, 4], color=PALETTE["muted"]).encode(y="y:Q")
    text = (
        alt.Chart(rules)
        .mark_text(align="left", dx=4, dy=-6, color=PALETTE["sub"])
        .encode(y="y:Q", x=alt.value(0), text="label:N")
    )
    chart = (rule + text + line + dot + dot_text).properties(
        height=260,
        title=_title(title, "Each point is one week. Dashed lines mark the red and green bands."),
    )
    caption = (
        f"The blue line is {account_name}'s health score each week (0 = at risk, 100 = thriving); look at the orange "
        f"dot, this week's score, {now:.0f}. Below the lower dashed line the account is red; above the upper one it is green."
    )
    return _standard(chart, caption, data, raw_keys=set())


def metric_trend(
    series: pd.DataFrame, *, label: str, unit: str, account_name: str, target: float | None = None
) -> LabelledChart:
    """One metric week by week for one account, with its recommended level if the catalog has one."""
    data = series.dropna()
    if data.empty:
        return _simple(label, f"{account_name} has no {label.lower()} on record.")
    first, last = float(data["value"].iloc[0]), float(data["value"].iloc[-1])
    unit_text = f" ({unit})" if unit else ""
    last_week = data["week_end"].iloc[-1]
    when = (
        "this week"
        if last_week == series["week_end"].max()
        else f"in the week ending {pd.Timestamp(last_week):%d %b}"
    )
    title = f"{label}: {last:,.0f} {when}"
    span = int((last_week - data["week_end"].iloc[0]).days // 7)
    if first > 0 and span:
        title += f", {(last / first - 1):+.0%} over {_weeks_text(span)}"
    tip = [
        alt.Tooltip("week_end:T", title="Week ending"),
        alt.Tooltip("value:Q", title=label, format=",.0f"),
    ]
    layers = [
        alt.Chart(data)
        .mark_line(color=PALETTE["base"], strokeWidth=2.5, point=True)
        .encode(
            x=alt.X("week_end:T", title="Week ending"),
            y=alt.Y("value:Q", title=f"{label}{unit_text}"),
            tooltip=tip,
        )
    ]
    lastp = alt.Chart(data.tail(1).assign(text=f"{when}: {last:,.0f}")).encode(
        x="week_end:T", y="value:Q"
    )
    layers += [
        lastp.mark_point(color=PALETTE["highlight"], size=90, filled=True),
        lastp.mark_text(
            color=PALETTE["highlight"], dy=-12, align="right", fontWeight="bold"
        ).encode(text="text:N"),
    ]
    sub = "Each dot is one week with data; the orange dot is the latest."
    if target is not None and pd.notna(target):
        tgt = pd.DataFrame({"y": [float(target)], "label": [f"Recommended: {float(target):g}"]})
        layers.append(
            alt.Chart(tgt).mark_rule(strokeDash=[6, 4], color=PALETTE["highlight"]).encode(y="y:Q")
        )
        layers.append(
            alt.Chart(tgt)
            .mark_text(align="left", dx=4, dy=-6, color=PALETTE["highlight"])
            .encode(y="y:Q", x=alt.value(0), text="label:N")
        )
        sub += " The dashed line is the recommended level."
    chart = alt.layer(*layers).properties(height=240, title=_title(title, sub))
    caption = f"The line shows {label.lower()} for {account_name}, one dot per week with data; look at the orange dot, {last:,.0f} {when}."
    return _standard(chart, caption, data, raw_keys=set())


def cadence_heatmap(counts: pd.DataFrame) -> LabelledChart:
    """Insights logged per CSM per week (``counts``: csm, week_end, insights)."""
    total = int(counts["insights"].sum()) if len(counts) else 0
    weeks = counts["week_end"].nunique() if len(counts) else 0
    if counts.empty:
        return _simple("Insight cadence", "no insights were logged in this period.")
    per_csm = counts.groupby("csm")["insights"].sum()
    quiet = per_csm.idxmin()
    counts = counts.assign(week=pd.to_datetime(counts["week_end"]).dt.strftime("%d %b"))
    order = list(dict.fromkeys(counts.sort_values("week_end")["week"]))
    x = alt.X("week:O", title="Week ending", sort=order)
    y = alt.Y("csm:N", title="CSM", sort="ascending", axis=alt.Axis(labelLimit=220))
    heat = (
        alt.Chart(counts)
        .mark_rect(stroke="white", strokeWidth=1)
        .encode(
            x=x,
            y=y,
            color=alt.Color(
                "insights:Q",
                title="Insights sent",
                scale=alt.Scale(range=["#e8f1f8", PALETTE["base"]]),
            ),
            tooltip=[
                alt.Tooltip("csm:N", title="CSM"),
                alt.Tooltip("week:O", title="Week ending"),
                alt.Tooltip("insights:Q", title="Insights sent"),
            ],
        )
    )
    quiet_rows = counts.loc[counts["csm"] == quiet]
    outline = (
        alt.Chart(quiet_rows)
        .mark_rect(fillOpacity=0, stroke=PALETTE["highlight"], strokeWidth=2)
        .encode(x=x, y=y)
    )
    mark = (
        alt.Chart(
            pd.DataFrame(
                {"csm": [quiet], "week": [order[-1]], "t": [f"fewest: {int(per_csm.min())}"]}
            )
        )
        .mark_text(align="left", dx=18, color=PALETTE["highlight"], fontWeight="bold")
        .encode(x=x, y=y, text="t:N")
    )
    heat = alt.layer(heat, outline)
    chart = alt.layer(heat, mark).properties(
        height=max(160, 28 * counts["csm"].nunique()),
        title=_title(
            f"{total:,} insights shared in {weeks} weeks",
            "Each square is one CSM in one week; darker means more insights sent. Orange marks the quietest CSM.",
        ),
    )
    caption = (
        "Each row is a CSM and each column a week; darker squares mean more insights shared that week. Look at the "
        "row marked in orange: the CSM who shared the fewest, who may need help finding insights."
    )
    return _standard(chart, caption, counts, raw_keys=set())


def wins_by_tier(wins: pd.DataFrame) -> LabelledChart:
    """Win insights shared per month, stacked by tier (``wins``: month, tier, wins)."""
    if wins.empty:
        return _simple("Customer wins", "no win insights were logged in this period.")
    total = int(wins["wins"].sum())
    monthly = wins.groupby("month")["wins"].sum()
    best = monthly.idxmax()
    bars = (
        alt.Chart(wins)
        .mark_bar()
        .encode(
            x=alt.X("month:T", title="Month", timeUnit="yearmonth"),
            y=alt.Y("wins:Q", title="Win insights shared"),
            color=alt.Color(
                "tier:N",
                title="Tier",
                scale=alt.Scale(
                    domain=["Enterprise", "Growth", "Starter"],
                    range=[PALETTE["base"], PALETTE["good"], PALETTE["muted"]],
                ),
            ),
            tooltip=[
                alt.Tooltip("month:T", title="Month", timeUnit="yearmonth"),
                alt.Tooltip("tier:N", title="Tier"),
                alt.Tooltip("wins:Q", title="Wins"),
            ],
        )
    )
    peak = pd.DataFrame(
        {"month": [best], "wins": [int(monthly.max())], "t": [f"best month: {int(monthly.max())}"]}
    )
    text = (
        alt.Chart(peak)
        .mark_text(dy=-8, color=PALETTE["highlight"], fontWeight="bold")
        .encode(x=alt.X("month:T", timeUnit="yearmonth"), y="wins:Q", text="t:N")
    )
    chart = alt.layer(bars, text).properties(
        height=260,
        title=_title(
            f"{total:,} customer wins shared in the last 12 months",
            "Each bar is one month; colours split it by customer tier. Orange marks the best month.",
        ),
    )
    caption = (
        "Each bar counts the win insights CSMs shared with customers that month, split by customer tier; look at the "
        "orange label, the best month so far."
    )
    return _standard(chart, caption, wins, raw_keys=set())


def cadence_vs_target(weekly: pd.DataFrame) -> LabelledChart:
    """The team's insights per week against its cadence target (``weekly``: week_end, insights, target)."""
    if weekly.empty:
        return _simple("Team cadence", "no weeks in the chosen range.")
    target = float(weekly["target"].iloc[0])
    below = int((weekly["insights"] < target).sum())
    weekly = weekly.assign(week=pd.to_datetime(weekly["week_end"]).dt.strftime("%d %b"))
    x = alt.X("week:O", title="Week ending", sort=list(weekly["week"]))
    bars = (
        alt.Chart(weekly)
        .mark_bar(color=PALETTE["base"])
        .encode(
            x=x,
            y=alt.Y("insights:Q", title="Insights shared per week"),
            tooltip=[
                alt.Tooltip("week:O", title="Week ending"),
                alt.Tooltip("insights:Q", title="Insights"),
            ],
        )
    )
    rule_df = pd.DataFrame({"y": [target], "t": [f"target: {target:g} a week"]})
    rule = (
        alt.Chart(rule_df)
        .mark_rule(color=PALETTE["highlight"], strokeDash=[6, 4], strokeWidth=2)
        .encode(y="y:Q", tooltip=[alt.Tooltip("t:N", title="Target")])
    )
    text = (
        alt.Chart(rule_df)
        .mark_text(color=PALETTE["highlight"], align="left", dx=4, dy=-8, fontWeight="bold")
        .encode(y="y:Q", x=alt.value(0), text="t:N")
    )
    chart = alt.layer(bars, rule, text).properties(
        height=220,
        title=_title(
            f"{below} of {len(weekly)} weeks below the cadence target",
            "Each bar is one week's insights across the team; the dashed line is the target.",
        ),
    )
    caption = (
        f"Each bar counts the insights the team shared that week; look at the dashed orange line, the target of "
        f"{target:g} a week. Bars below it are weeks when some customers went without guidance."
    )
    return _standard(chart, caption, weekly, raw_keys=set())


def health_distribution(
    now: pd.Series, before: pd.Series, *, red_below: float = 50, green_above: float = 70
) -> LabelledChart:
    """How the book's health is spread now vs a quarter ago (bands of 10 points).

    Accounts without a score a quarter ago (no usage data then) are left out of that side, and
    the title says how many had one; with none, the chart shows now alone.
    """
    bins = list(range(0, 101, 10))
    labels = [f"{b}–{b + 10}" for b in bins[:-1]]

    def counts(s: pd.Series, when: str) -> pd.DataFrame:
        c = (
            pd.cut(s.dropna().clip(0, 99.9), bins=bins, labels=labels, right=False)
            .value_counts()
            .reindex(labels, fill_value=0)
        )
        return pd.DataFrame({"band": labels, "accounts": c.to_numpy(), "when": when})

    scored_now, scored_then = int(now.notna().sum()), int(before.notna().sum())
    periods = ["a quarter ago", "now"] if scored_then else ["now"]
    data = pd.concat(
        [counts(before, "a quarter ago")] * bool(scored_then) + [counts(now, "now")],
        ignore_index=True,
    )
    red_now, red_then = int((now < red_below).sum()), int((before < red_below).sum())
    then = (
        f"{red_then} a quarter ago"
        + (f" (of {scored_then} with a score then)" if scored_then < scored_now else "")
        if scored_then
        else "no score a quarter ago to compare with"
    )
    chart = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("band:N", title="Health score band", sort=labels),
            xOffset=alt.XOffset("when:N", sort=periods),
            y=alt.Y("accounts:Q", title="Accounts"),
            color=alt.Color(
                "when:N",
                title="When",
                scale=alt.Scale(
                    domain=periods, range=[PALETTE["band"], PALETTE["base"]][-len(periods) :]
                ),
            ),
            tooltip=[
                alt.Tooltip("band:N", title="Health band"),
                alt.Tooltip("when:N", title="When"),
                alt.Tooltip("accounts:Q", title="Accounts"),
            ],
        )
    )
    note = pd.DataFrame(
        {
            "band": [labels[0]],
            "accounts": [int(data["accounts"].max())],
            "t": [f"red now: {red_now}" + (f" (was {red_then})" if scored_then else "")],
        }
    )
    text = (
        alt.Chart(note)
        .mark_text(align="left", color=PALETTE["highlight"], fontWeight="bold", dy=-6)
        .encode(x=alt.X("band:N", sort=labels), y="accounts:Q", text="t:N")
    )
    chart = alt.layer(chart, text).properties(
        height=240,
        title=_title(
            f"{red_now} accounts in the red now, {then}",
            "Each pair of bars counts accounts in a 10-point health band: grey a quarter ago, blue now."
            if scored_then
            else "Each bar counts accounts in a 10-point health band now; usage does not reach "
            "back a quarter.",
        ),
    )
    caption = (
        f"Each pair of bars counts the accounts whose health falls in that band; look at the orange note: {red_now} "
        f"accounts are below {red_below:.0f} (red) now, against {then}."
        if scored_then
        else f"Each bar counts the accounts whose health falls in that band now; look at the orange note: "
        f"{red_now} accounts are below {red_below:.0f} (red). There is no score from a quarter ago."
    )
    return _standard(chart, caption, data, raw_keys=set())
