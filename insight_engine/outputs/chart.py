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

import json
import re
import textwrap
import warnings
from dataclasses import dataclass
from functools import cached_property

import altair as alt
import numpy as np
import pandas as pd

from insight_engine import fmt
from insight_engine.book.book import Book
from insight_engine.errors import RudderError

__all__ = [
    "PALETTE",
    "ChartStandardError",
    "LabelledChart",
    "cadence_heatmap",
    "cadence_vs_target",
    "check_layout",
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
# Layout, the same in the app and in the PNG (issue 16): Streamlit's theme sizes a chart with
# autosize "fit" (the height then includes the title and axes, so a 110 px chart kept ~35 px for
# its bars and rows collapsed). Every chart states its own autosize: the width fits the container
# (or WIDTH in a PNG), the plot keeps its designed height, which grows with the rows it compares.
WIDTH = 560
ROW_PX = 28  # one compared item, CSM or milestone per row
AUTOSIZE = {"type": "fit-x", "contains": "padding"}
# Wrapped to fit a ~270 px column (the Account page's chart column at 800 px wide); Streamlit
# cuts a longer line with an ellipsis.
TITLE_CHARS = 34
SUBTITLE_CHARS = 46
COUNT_AXIS = {"format": "d", "tickMinStep": 1}  # counts: 0, 1, 2 - never 0.5 alerts


class ChartStandardError(RudderError):
    """A chart broke the visual standard (a bug in a builder, never the user's data)."""


@dataclass(eq=False)  # one chart is itself (compared and hashed by identity, as caches key it)
class LabelledChart:
    """A chart, its "how to read this" paragraph, and the data behind it (small, pre-aggregated)."""

    chart: alt.TopLevelMixin
    caption: str
    data: pd.DataFrame

    @property
    def label(self) -> str:
        """The caption's first sentence: the one-line visual label used in drafts."""
        return re.split(r"(?<=\.)\s", self.caption, maxsplit=1)[0]

    @cached_property
    def spec(self) -> dict:
        """The chart's Vega-Lite spec (data inline), worked out once per chart and shared: read
        it, never change it. Converting a layered chart costs ~20 ms of CPU, and the title, the
        PNG and the page each asked for it on every rerun."""
        return self.chart.to_dict(validate=False)

    @property
    def title(self) -> str:
        """The title as one line of text (the chart draws it wrapped over several)."""
        return title_text(self.spec)


def title_text(spec: dict, part: str = "text") -> str:
    """A spec's title (``part``: "text" or "subtitle") as one line, however it is wrapped."""
    title = spec.get("title") or {}
    text = title.get(part, "") if isinstance(title, dict) else title if part == "text" else ""
    return " ".join(text) if isinstance(text, list) else str(text or "")


def _fmt(x: float | None) -> str:
    if x is None or pd.isna(x):
        return "—"
    return f"{round(x):,}" if abs(x) >= 100 or abs(x - round(x)) < 0.05 else f"{x:,.1f}"


def _lines(text: str, width: int) -> list[str]:
    """``text`` wrapped at ``width`` characters (Vega draws a list as one line each)."""
    return textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False) or [text]


def _title(text: str, subtitle: str) -> alt.TitleParams:
    return alt.TitleParams(
        text=_lines(text, TITLE_CHARS),
        subtitle=_lines(subtitle, SUBTITLE_CHARS),
        anchor="start",
        fontSize=15,
        subtitleFontSize=12,
        color=PALETTE["text"],
        subtitleColor=PALETTE["sub"],
    )


def _text(base: alt.Chart, **mark) -> alt.LayerChart:
    """A text callout with a white halo under it, legible on a line, band or coloured layer."""
    halo = {k: v for k, v in mark.items() if k != "color"}
    return alt.layer(
        base.mark_text(**halo, color="white", stroke="white", strokeWidth=4, strokeJoin="round"),
        base.mark_text(**mark),
    )


def _value_axis(values, *, count: bool, **axis) -> alt.Axis:
    """A quantitative axis: whole steps for counts ('d', never 0.5 alerts); otherwise the
    default ticks, with a plain format when every value is the same (no '0.000000')."""
    finite = np.asarray(pd.to_numeric(pd.Series(values), errors="coerce").dropna(), dtype=float)
    if count or (len(finite) and np.allclose(finite, np.round(finite)) and np.ptp(finite) == 0):
        return alt.Axis(**COUNT_AXIS, **axis)
    return alt.Axis(tickCount=5, **axis)


def _value_scale(values, *extra: float, **scale) -> alt.Scale:
    """A scale from zero to the largest of ``values`` and ``extra`` (pass them scaled up to
    leave room for labels); all zero (a snapshot, a quiet account) still gets a 0-1 axis rather
    than a zero-width one."""
    finite = pd.to_numeric(pd.Series([*list(values), *extra]), errors="coerce").dropna()
    top = float(finite.max()) if len(finite) else 0.0
    return alt.Scale(domain=[0, top if top > 0 else 1], nice=True, **scale)


def _walk(spec: dict):
    yield spec
    for key in ("layer", "hconcat", "vconcat", "concat"):
        for child in spec.get(key, []) or []:
            yield from _walk(child)


def check_visual_standard(spec: dict, *, raw_keys: set[str] = frozenset()) -> list[str]:
    """What a chart's Vega-Lite spec is missing from the visual standard (empty = compliant)."""
    problems = []
    title = spec.get("title") or {}
    text = title_text(spec)
    if not re.search(r"\d", text):
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


def _mark_colours(node: dict) -> set[str]:
    """The fixed colours a layer draws in (mark colour, fill, stroke, or a constant encoding)."""
    mark = node.get("mark")
    found = set()
    if isinstance(mark, dict):
        found |= {str(mark[k]).upper() for k in ("color", "fill", "stroke") if mark.get(k)}
    for channel in ("color", "fill", "stroke"):
        enc = (node.get("encoding") or {}).get(channel)
        if isinstance(enc, dict) and "value" in enc:
            found.add(str(enc["value"]).upper())
    return found


def _leaves(spec: dict) -> list[dict]:
    """The layers that draw something, in drawing order (the last one is on top)."""
    return [node for node in _walk(spec) if node.get("mark")]


def check_layout(spec: dict) -> list[str]:
    """What stops a chart's spec from rendering as designed in the app and in the PNG (empty =
    fine): its own autosize (fit the width, keep the height), an explicit width and height,
    titles wrapped to fit a narrow column, and the "look here" mark drawn on top."""
    problems = []
    if spec.get("autosize") != AUTOSIZE:
        problems.append(f"autosize is {spec.get('autosize')!r}, not {AUTOSIZE}")
    views = spec.get("vconcat", [spec])
    for view in views:
        for side in ("width", "height"):
            if not isinstance(view.get(side), int) or view[side] <= 0:
                problems.append(f"no explicit {side} in pixels")
    title = spec.get("title") or {}
    for part, limit in (("text", TITLE_CHARS), ("subtitle", SUBTITLE_CHARS)):
        lines = title.get(part) if isinstance(title, dict) else title
        lines = lines if isinstance(lines, list) else [lines or ""]
        long = [line for line in lines if len(line) > limit and " " in line]
        if long:
            problems.append(f"the {part} is not wrapped: {long[0]!r}")
    leaves = _leaves(spec)
    high = PALETTE["highlight"].upper()
    lit = [i for i, node in enumerate(leaves) if high in _mark_colours(node)]
    kinds = [n["mark"]["type"] if isinstance(n["mark"], dict) else n["mark"] for n in leaves]
    if lit and any(kind != "text" for kind in kinds[lit[-1] + 1 :]):
        problems.append("the highlighted mark is not drawn last (on top; only labels may follow)")
    if lit:
        covering = [
            i
            for i, node in enumerate(leaves)
            if i > lit[0]
            and kinds[i] in ("area", "bar", "rect")
            and high not in _mark_colours(node)
        ]
        if covering:
            problems.append("an area, bar or rect is drawn over the highlighted mark")
    return problems


def _standard(
    chart: alt.TopLevelMixin, caption: str, data: pd.DataFrame, *, raw_keys: set[str]
) -> LabelledChart:
    """Every insight chart leaves through here: the visual standard is checked, not hoped for."""
    if len(data) > MAX_ROWS:
        raise ChartStandardError(f"chart data has {len(data):,} rows; aggregate before charting")
    chart = _configured(chart)
    # Schema validation is slow and belongs in the tests; the standard is checked on every chart.
    spec = chart.to_dict(validate=False)
    problems = check_visual_standard(spec, raw_keys=raw_keys) + check_layout(spec)
    if problems:
        raise ChartStandardError("; ".join(problems))
    return LabelledChart(chart, caption, data)


def _configured(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """The layout and look every chart shares, in the spec itself (so the app's theme cannot
    resize it): fit the width, keep the height; labels that never print over each other."""
    return (
        chart.properties(autosize=AUTOSIZE)
        .configure_view(strokeWidth=0)
        # a mark without tooltips of its own shows none: the app's theme otherwise shows the raw
        # fields (``per_seat 0.480769230769``) on every highlight dot, bar and callout
        .configure_mark(tooltip=False)
        .configure_axis(
            labelColor=PALETTE["sub"],
            titleColor=PALETTE["sub"],
            gridColor="#e6e9ea",
            labelOverlap=True,
            labelLimit=200,
            labelFontSize=11,
            titleFontSize=12,
            titleFontWeight="normal",
        )
        # the x title ends at the plot's right edge and runs left under the y labels, so a long
        # catalog label is not cut in a narrow column
        .configure_axisX(titleAnchor="end")
        .configure_legend(
            labelColor=PALETTE["sub"],
            titleColor=PALETTE["sub"],
            labelLimit=240,
            titleLimit=240,
            orient="bottom",
            direction="horizontal",
        )
    )


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
            width=WIDTH,
            title=_title(
                f"{title} (0 weeks to show)", "There is not enough data to draw this chart yet."
            ),
        )
    )
    return LabelledChart(_configured(chart), f"No chart yet: {why}", data)


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
    from insight_engine.book.rollup import aggregations

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
    y = alt.Y(
        "value:Q",
        title=f"{label} ({unit})" if unit else label,
        axis=_value_axis(data["value"], count=False),
    )
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
    text = _text(
        alt.Chart(callouts).encode(x="week_end:T", y="value:Q", text="text:N"),
        color=PALETTE["highlight"],
        dy=-14,
        fontWeight="bold",
    )
    chart = alt.layer(band, span, line, marks, text).properties(
        width=WIDTH,
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
    name = str(book.account(account_id)["account_name"])
    peer_name = f"Typical {tier} customer"
    gap_key = f"{name}: the gap"
    data["key"] = np.where(data["is_gap"], gap_key, data["who"])
    data["label"] = [
        f"{_fmt(v)}: the gap (typical {_fmt(peer)})" if gap else _fmt(v)
        for v, gap in zip(data["per_seat"], data["is_gap"], strict=True)
    ]
    # One view, one row per bar (capability, then who): fits any width, in the app and the PNG.
    caps = list(dict.fromkeys(data["capability"]))
    y = alt.Y(
        "capability:N",
        title="Capability",
        sort=caps,
        axis=alt.Axis(labelLimit=200, labelOverlap=False),
    )
    y_offset = alt.YOffset("who:N", sort=[name, peer_name])
    x = alt.X(
        "per_seat:Q",
        title="Use per licensed seat, last 4 weeks",
        scale=_value_scale(data["per_seat"] * 1.6),  # room for the value labels
        axis=_value_axis(data["per_seat"], count=False),
    )
    base = alt.Chart(data).encode(y=y, yOffset=y_offset)
    bars = base.mark_bar(height=ROW_PX - 8).encode(
        x=x,
        color=alt.Color(
            "key:N",
            title=None,
            scale=alt.Scale(
                domain=[name, gap_key, peer_name],
                range=[PALETTE["base"], PALETTE["highlight"], PALETTE["band"]],
            ),
            legend=alt.Legend(direction="vertical"),
        ),
        tooltip=[
            alt.Tooltip("who:N", title="Who"),
            alt.Tooltip("capability:N", title="Capability"),
            alt.Tooltip("per_seat:Q", title="Use per seat", format=",.1f"),
        ],
    )
    values = (
        alt.Chart(data.loc[~data["is_gap"]])
        .mark_text(align="left", dx=4, color=PALETTE["text"])
        .encode(x="per_seat:Q", y=y, yOffset=y_offset, text="label:N")
    )
    gap_text = _text(
        alt.Chart(data.loc[data["is_gap"]]).encode(
            x="per_seat:Q", y=y, yOffset=y_offset, text="label:N"
        ),
        align="left",
        dx=4,
        color=PALETTE["highlight"],
        fontWeight="bold",
    )
    # the gap's end of bar as a thick orange tick: seen even when the team does not use it (0)
    gap_tick = (
        alt.Chart(data.loc[data["is_gap"]])
        .mark_tick(color=PALETTE["highlight"], thickness=4, size=ROW_PX - 8)
        .encode(x="per_seat:Q", y=y, yOffset=y_offset)
    )
    chart = alt.layer(bars, gap_tick, values, gap_text).properties(
        width=WIDTH,
        height=ROW_PX * len(data) + 16 * len(caps),
        title=_title(
            f"{gap_label}: {_fmt(mine)} per seat vs a typical {_fmt(peer)}",
            f"Each bar is use per licensed seat over the last 4 weeks. Orange is the gap; grey is the typical "
            f"{tier} customer.",
        ),
    )
    caption = (
        f"Each pair of bars compares {book.account(account_id)['account_name']} with the typical {tier} customer; "
        f"look at the orange bar, {gap_label.lower()}, where the team sits at {_fmt(mine)} per seat against a "
        f"typical {_fmt(peer)}."
        + (
            " The other pair shows the team already uses the capability it complements."
            if len(caps) > 1
            else ""
        )
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
    # things set up (alerts, integrations) are counted in whole steps; the typical customer's
    # median may be 2.5, its bar says so
    whole = bool(np.allclose(np.nan_to_num([mine, target]) % 1, 0))
    x = alt.X(
        "value:Q",
        title=f"{label} ({unit})" if unit else label,
        scale=_value_scale(data["value"] * 1.15, target * 1.15),
        axis=_value_axis([mine, target], count=whole),
    )
    # One row per compared item, each ROW_PX tall, so the two never share a row.
    y = alt.Y(
        "who:N", title="Account", sort=None, axis=alt.Axis(labelLimit=220, labelOverlap=False)
    )
    bars = (
        alt.Chart(data)
        .mark_bar(height=ROW_PX - 6)
        .encode(
            x=x,
            y=y,
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
    labels = _text(
        alt.Chart(data).encode(x="value:Q", y=y, text="label:N"),
        align="left",
        dx=4,
        color=PALETTE["text"],
    )
    rule_data = pd.DataFrame({"value": [target], "text": [f"Recommended: {_fmt(target)}"]})
    rule = (
        alt.Chart(rule_data)
        .mark_rule(color=PALETTE["highlight"], strokeDash=[6, 4], strokeWidth=2.5)
        .encode(x="value:Q", tooltip=[alt.Tooltip("text:N", title="Goal")])
    )
    # The account's end of bar in a thick orange tick: seen even when it has none set up (0).
    tick = (
        alt.Chart(data.loc[data["colour"] == "highlight"])
        .mark_tick(color=PALETTE["highlight"], thickness=4, size=ROW_PX - 6)
        .encode(x="value:Q", y=y)
    )
    # Its label sits in a strip above the bars (y = -8 px), never on them, and inside the plot:
    # to the left of the line when the line is in the right half.
    top = max(np.nan_to_num([mine, peer, target])) * 1.15 or 1
    right = target > 0.55 * top
    rule_text = _text(
        alt.Chart(rule_data).encode(x="value:Q", text="text:N"),
        color=PALETTE["highlight"],
        align="right" if right else "left",
        dx=-4 if right else 4,
        y=-8,
        fontWeight="bold",
    )
    none = not mine
    chart = alt.layer(bars, tick, labels, rule, rule_text).properties(
        width=WIDTH,
        height=ROW_PX * len(data) + 24,
        title=_title(
            f"{label}: {_fmt(mine)} set up, {_fmt(target)} recommended",
            (
                "The orange mark at 0 is this account today (none set up)"
                if none
                else "The orange bar is this account today"
            )
            + "; the dashed line is the recommended level.",
        ),
    )
    name = book.account(account_id)["account_name"]
    caption = (
        (
            f"The orange mark at zero shows {name} has no {(unit or label).lower()} set up today"
            if none
            else f"The orange bar is how many {(unit or label).lower()} {name} has set up today ({_fmt(mine)})"
        )
        + f"; look at the dashed line, the recommended {_fmt(target)}. The grey bar is the typical "
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
        late = (today - ms["due_date"]).dt.days
        ms["text"] = np.where(
            ms["status"] == "overdue",
            late.astype(str) + np.where(late == 1, " day overdue", " days overdue"),
            "",
        )
    worst = ms.loc[ms["status"] == "overdue"]
    # Room on the right for "75 days overdue" beside the last bar, inside the plot.
    first = min(ms["due_date"].min(), ms["end"].min()) - pd.Timedelta(days=3)
    last = max(ms["due_date"].max(), ms["end"].max(), today)
    last += max((last - first) * 0.4, pd.Timedelta(days=14))
    domain = [int(first.timestamp() * 1000), int(last.timestamp() * 1000)]
    # One row per milestone, ROW_PX each: every label shows (the overdue one among them).
    y = alt.Y(
        "milestone:N",
        title="Milestone",
        sort=None,
        axis=alt.Axis(labelLimit=220, labelOverlap=False),
    )
    bars = (
        alt.Chart(ms)
        .mark_bar(height=ROW_PX - 10)
        .encode(
            x=alt.X("due_date:T", title="Date", scale=alt.Scale(domain=domain)),
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
    rule_text = _text(
        alt.Chart(today_df).encode(x="date:T", text="text:N"),
        color=PALETTE["highlight"],
        y=-8,
        align="left",
        dx=4,
        fontWeight="bold",
    )
    labels = _text(
        alt.Chart(ms).encode(x="end:T", y=y, text="text:N"),
        align="left",
        dx=6,
        color=PALETTE["highlight"],
        fontWeight="bold",
    )
    if just_done:
        done_on = ms.loc[ms["milestone"] == just_done, "completed_date"].iloc[-1]
        title = f"{just_done} completed on {fmt.day(done_on)}"
    elif len(worst):
        named = worst.loc[worst["milestone"] == overdue] if overdue else worst.iloc[0:0]
        focus = (named if len(named) else worst).iloc[-1]
        days = (today - focus["due_date"]).days
        title = f"{focus['milestone']}: {days} day{'s' * (days != 1)} overdue"
    else:
        title = f"{int((ms['status'] == 'done').sum())} of {len(ms)} milestones done"
    chart = alt.layer(bars, due, rule, rule_text, labels).properties(
        width=WIDTH,
        height=ROW_PX * max(len(ms), 3),
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
    from insight_engine.analysis.health import COMPONENT_LABELS, COMPONENTS

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
        .mark_area(opacity=0.45)
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
                # two a row: four parts in one row ran past a 440 px column ("En…")
                legend=alt.Legend(columns=2),
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
    # The red band is drawn over the stacked areas (see-through), with its edge as a dashed line.
    red = (
        alt.Chart(pd.DataFrame({"y": [0], "y2": [red_below]}))
        .mark_rect(color=PALETTE["bad"], opacity=0.14)
        .encode(y="y:Q", y2="y2:Q")
    )
    red_edge = (
        alt.Chart(pd.DataFrame({"y": [red_below]}))
        .mark_rule(color=PALETTE["bad"], strokeDash=[6, 4], strokeWidth=1.5)
        .encode(y="y:Q")
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
    text = _text(
        alt.Chart(last).encode(x="week_end:T", y="health:Q", text="text:N"),
        color=PALETTE["highlight"],
        dx=-10,
        dy=-14,
        fontWeight="bold",
        align="right",
    )
    red_text = _text(
        alt.Chart(pd.DataFrame({"y": [red_below], "t": [f"red below {red_below:.0f}"]})).encode(
            y="y:Q", x=alt.value(4), text="t:N"
        ),
        align="left",
        dy=-8,
        color=PALETTE["bad"],
        fontWeight="bold",
    )
    chart = alt.layer(area, red, red_edge, line, dot, red_text, text).properties(
        width=WIDTH,
        height=260,
        title=_title(
            _health_title(now, before, apart),
            "The black line is the health score; the coloured layers show what it is made of. "
            "Below the dashed red line (the shaded band) is red.",
        ),
    )
    caption = (
        f"The black line is the health score each week, and the coloured layers underneath show which parts it is "
        f"made of; look at the orange dot, this week's {now:.0f}, and at which layer shrank. Anything below the "
        f"dashed red line ({red_below:.0f}, the shaded band) is red."
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
    when = "" if latest == book.as_of else f" in the week ending {fmt.day_month(latest)}"
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
    rule_text = _text(
        alt.Chart(cap).encode(y="value:Q", x=alt.value(0), text="text:N"),
        color=PALETTE["highlight"],
        align="left",
        dx=4,
        dy=-8,
        fontWeight="bold",
    )
    chart = alt.layer(line, rule, rule_text).properties(
        width=WIDTH,
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
    x = alt.X("date:T", title="Response date", scale=alt.Scale(padding=12))  # no dot cut in half
    y = alt.Y("score:Q", title="NPS score (0–10)", scale=alt.Scale(domain=[0, 10]))
    zones = pd.DataFrame(
        {"y": [0, 9], "y2": [6, 10], "zone": ["detractor (0–6)", "promoter (9–10)"]}
    )
    band = (
        alt.Chart(zones).mark_rect(opacity=0.08, color=PALETTE["muted"]).encode(y="y:Q", y2="y2:Q")
    )
    band_text = _text(
        alt.Chart(zones).encode(y="y2:Q", x=alt.value(0), text="zone:N"),
        align="left",
        dx=4,
        dy=8,
        color=PALETTE["sub"],
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
    text = _text(
        alt.Chart(data.tail(1)).encode(x="date:T", y="score:Q", text="text:N"),
        color=PALETTE["highlight"],
        dy=-14,
        fontWeight="bold",
        align="right",
    )
    chart = alt.layer(band, band_text, dots, text).properties(
        width=WIDTH,
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
    """The chart for a signal (a record from :func:`insight_engine.analysis.detector.signal_records`): the
    kind its detector's registry entry names, drawn from the signal's structured evidence."""
    from insight_engine.analysis.detector import DETECTORS

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
    # a small dot per week: the subtitle's "each point is one week" is drawn, and hovering a
    # week finds its tooltip (a bare line was hard to hit)
    line = base.mark_line(
        color=PALETTE["base"],
        strokeWidth=2.5,
        point=alt.OverlayMarkDef(color=PALETTE["base"], size=24, filled=True),
    )
    last = alt.Chart(data.tail(1).assign(text=f"now {now:.0f}")).encode(
        x="week_end:T", y="health:Q"
    )
    dot = last.mark_point(color=PALETTE["highlight"], size=90, filled=True)
    dot_text = _text(
        last.encode(text="text:N"),
        color=PALETTE["highlight"],
        dy=-12,
        align="right",
        fontWeight="bold",
    )
    rules = pd.DataFrame(
        {
            "y": [red_below, green_above],
            "label": [f"Below {red_below:.0f}: red", f"Above {green_above:.0f}: green"],
        }
    )
    rule = alt.Chart(rules).mark_rule(strokeDash=[4, 4], color=PALETTE["muted"]).encode(y="y:Q")
    text = _text(
        alt.Chart(rules).encode(y="y:Q", x=alt.value(0), text="label:N"),
        align="left",
        dx=4,
        dy=-6,
        color=PALETTE["sub"],
    )
    chart = alt.layer(rule, text, line, dot, dot_text).properties(
        width=WIDTH,
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
        else f"in the week ending {fmt.day_month(last_week)}"
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
            y=alt.Y(
                "value:Q",
                title=f"{label}{unit_text}",
                scale=_value_scale(
                    data["value"] * 1.1, *([float(target) * 1.1] if pd.notna(target) else [])
                ),
                axis=_value_axis(data["value"], count=False),
            ),
            tooltip=tip,
        )
    ]
    lastp = alt.Chart(data.tail(1).assign(text=f"{when}: {last:,.0f}")).encode(
        x="week_end:T", y="value:Q"
    )
    dot = [
        lastp.mark_point(color=PALETTE["highlight"], size=90, filled=True),
        _text(
            lastp.encode(text="text:N"),
            color=PALETTE["highlight"],
            dy=-12,
            align="right",
            fontWeight="bold",
        ),
    ]
    sub = "Each dot is one week with data; the orange dot is the latest."
    if target is not None and pd.notna(target):
        tgt = pd.DataFrame({"y": [float(target)], "label": [f"Recommended: {float(target):g}"]})
        layers.append(
            alt.Chart(tgt).mark_rule(strokeDash=[6, 4], color=PALETTE["highlight"]).encode(y="y:Q")
        )
        layers.append(
            _text(
                alt.Chart(tgt).encode(y="y:Q", x=alt.value(0), text="label:N"),
                align="left",
                dx=4,
                dy=-6,
                color=PALETTE["highlight"],
            )
        )
        sub += " The dashed line is the recommended level."
    chart = alt.layer(*layers, *dot).properties(width=WIDTH, height=240, title=_title(title, sub))
    caption = f"The line shows {label.lower()} for {account_name}, one dot per week with data; look at the orange dot, {last:,.0f} {when}."
    return _standard(chart, caption, data, raw_keys=set())


def cadence_heatmap(counts: pd.DataFrame) -> LabelledChart:
    """Insights logged per CSM per week (``counts``: csm, week_end, insights), one row per CSM
    (ROW_PX each, every name labelled) with each CSM's total in a last column; the quietest
    CSM's name and total in orange."""
    if counts.empty:
        return _simple("Insight cadence", "no insights were logged in this period.")
    total = int(counts["insights"].sum())
    weeks = counts["week_end"].nunique()
    per_csm = counts.groupby("csm")["insights"].sum()
    quiet = per_csm.idxmin()
    counts = counts.assign(week=fmt.days(counts["week_end"], year=False).to_numpy())
    order = [*dict.fromkeys(counts.sort_values("week_end")["week"]), "Total"]
    names = sorted(per_csm.index)
    x = alt.X(
        "week:O",
        title="Week ending",
        sort=order,
        axis=alt.Axis(labelAngle=-45 if len(order) > 8 else 0, labelOverlap=True),
    )
    is_quiet = f"datum.value === {json.dumps(str(quiet))}"  # the quietest CSM's name in orange
    y = alt.Y(
        "csm:N",
        title="CSM",
        sort=names,
        axis=alt.Axis(
            labelLimit=220,
            labelOverlap=False,
            labelColor={
                "condition": {"test": is_quiet, "value": PALETTE["highlight"]},
                "value": PALETTE["sub"],
            },
            labelFontWeight={"condition": {"test": is_quiet, "value": "bold"}, "value": "normal"},
        ),
    )
    top = int(counts["insights"].max())
    heat = (
        alt.Chart(counts)
        .mark_rect(stroke="white", strokeWidth=1)
        .encode(
            x=x,
            y=y,
            color=alt.Color(
                "insights:Q",
                title="Insights sent in the week",
                scale=alt.Scale(range=["#e8f1f8", PALETTE["base"]], domain=[0, max(top, 1)]),
                legend=alt.Legend(format="d", tickMinStep=1, gradientLength=160),
            ),
            tooltip=[
                alt.Tooltip("csm:N", title="CSM"),
                alt.Tooltip("week:O", title="Week ending"),
                alt.Tooltip("insights:Q", title="Insights sent"),
            ],
        )
    )
    totals = pd.DataFrame(
        {"csm": per_csm.index, "week": "Total", "t": per_csm.astype(int).map("{:,}".format)}
    )
    others = (
        alt.Chart(totals.loc[totals["csm"] != quiet])
        .mark_text(color=PALETTE["text"])
        .encode(x=x, y=y, text="t:N")
    )
    quiet_rows = counts.loc[counts["csm"] == quiet]
    outline = (
        alt.Chart(quiet_rows)
        .mark_rect(fillOpacity=0, stroke=PALETTE["highlight"], strokeWidth=2)
        .encode(x=x, y=y)
    )
    mark = (
        alt.Chart(totals.loc[totals["csm"] == quiet])
        .mark_text(color=PALETTE["highlight"], fontWeight="bold")
        .encode(x=x, y=y, text="t:N")
    )
    chart = alt.layer(heat, others, outline, mark).properties(
        width=WIDTH,
        height=ROW_PX * len(names),
        title=_title(
            f"{total:,} insights shared in {_weeks_text(weeks)}; fewest from {quiet} "
            f"({int(per_csm.min()):,})",
            "Each square is one CSM in one week; darker means more insights sent. The last column "
            "is each CSM's total; orange marks the CSM who sent the fewest.",
        ),
    )
    caption = (
        "Each row is a CSM and each column a week; darker squares mean more insights shared that week, and the "
        f"last column is each CSM's total. Look at the row outlined in orange: {quiet}, who shared the fewest "
        f"({int(per_csm.min()):,}) and may need help finding insights."
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
            y=alt.Y(
                "wins:Q",
                title="Win insights shared",
                axis=alt.Axis(**COUNT_AXIS),
                scale=_value_scale([monthly.max() * 1.15]),
            ),
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
    text = _text(
        alt.Chart(peak).encode(x=alt.X("month:T", timeUnit="yearmonth"), y="wins:Q", text="t:N"),
        dy=-8,
        color=PALETTE["highlight"],
        fontWeight="bold",
    )
    outline = (  # the best month's bar outlined in orange
        alt.Chart(peak)
        .mark_bar(fillOpacity=0, stroke=PALETTE["highlight"], strokeWidth=2.5)
        .encode(x=alt.X("month:T", timeUnit="yearmonth"), y="wins:Q")
    )
    chart = alt.layer(bars, outline, text).properties(
        width=WIDTH,
        height=260,
        title=_title(
            f"{total:,} customer wins shared in the last 12 months",
            "Each bar is one month; colours split it by customer tier. Orange marks the best month.",
        ),
    )
    caption = (
        "Each bar counts the win insights CSMs shared with customers that month, split by customer tier; look at the "
        "bar outlined in orange, the best month so far."
    )
    return _standard(chart, caption, wins, raw_keys=set())


def cadence_vs_target(weekly: pd.DataFrame) -> LabelledChart:
    """The team's insights per week against its cadence target (``weekly``: week_end, insights, target)."""
    if weekly.empty:
        return _simple("Team cadence", "no weeks in the chosen range.")
    target = float(weekly["target"].iloc[0])
    below = int((weekly["insights"] < target).sum())
    weekly = weekly.assign(week=fmt.days(weekly["week_end"], year=False).to_numpy())
    x = alt.X("week:O", title="Week ending", sort=list(weekly["week"]))
    bars = (
        alt.Chart(weekly)
        .mark_bar(color=PALETTE["base"])
        .encode(
            x=x,
            y=alt.Y(
                "insights:Q",
                title="Insights shared per week",
                axis=alt.Axis(**COUNT_AXIS),
                scale=_value_scale(weekly["insights"] * 1.1, target * 1.25),
            ),
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
    text = _text(
        alt.Chart(rule_df).encode(y="y:Q", x=alt.value(0), text="t:N"),
        color=PALETTE["highlight"],
        align="left",
        dx=4,
        dy=-8,
        fontWeight="bold",
    )
    chart = alt.layer(bars, rule, text).properties(
        width=WIDTH,
        height=240,
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
    # the look-here bars: now, in the bands below the red line, in orange
    red_band = data["band"].str.split("–").str[0].astype(int) < red_below
    data["shade"] = np.where((data["when"] == "now") & red_band, "now, in the red", data["when"])
    shades = [*periods, "now, in the red"]
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
            x=alt.X(
                "band:N",
                title="Health score band",
                sort=labels,
                axis=alt.Axis(labelAngle=0, labelOverlap=True),
            ),
            xOffset=alt.XOffset("when:N", sort=periods),
            y=alt.Y(
                "accounts:Q",
                title="Accounts",
                axis=alt.Axis(**COUNT_AXIS),
                scale=_value_scale(data["accounts"] * 1.15),
            ),
            color=alt.Color(
                "shade:N",
                title="When",
                scale=alt.Scale(
                    domain=shades,
                    range=[
                        *[PALETTE["band"], PALETTE["base"]][-len(periods) :],
                        PALETTE["highlight"],
                    ],
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
    text = _text(
        alt.Chart(note).encode(x=alt.X("band:N", sort=labels), y="accounts:Q", text="t:N"),
        align="left",
        color=PALETTE["highlight"],
        fontWeight="bold",
        dy=-6,
    )
    chart = alt.layer(chart, text).properties(
        width=WIDTH,
        height=240,
        title=_title(
            f"{red_now} accounts in the red now, {then}",
            "Each pair of bars counts accounts in a 10-point health band: grey a quarter ago, blue "
            "now, orange now in the red."
            if scored_then
            else "Each bar counts accounts in a 10-point health band now (orange: in the red); "
            "usage does not reach back a quarter.",
        ),
    )
    caption = (
        f"Each pair of bars counts the accounts whose health falls in that band; look at the orange bars and "
        f"note: {red_now} accounts are below {red_below:.0f} (red) now, against {then}."
        if scored_then
        else f"Each bar counts the accounts whose health falls in that band now; look at the orange bars and "
        f"note: {red_now} accounts are below {red_below:.0f} (red). There is no score from a quarter ago."
    )
    return _standard(chart, caption, data, raw_keys=set())
