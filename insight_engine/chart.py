"""Chart builders (Altair), labelled for someone who has never logged in.

Every builder returns a :class:`LabelledChart`: the chart, whose title states the takeaway and
whose subtitle says how to read it, plus a one-paragraph "how to read this" caption. Builders
receive pre-aggregated data (a few hundred rows at most), never raw usage.
"""

from __future__ import annotations

from dataclasses import dataclass

import altair as alt
import pandas as pd

__all__ = [
    "PALETTE",
    "LabelledChart",
    "cadence_heatmap",
    "health_trend",
    "metric_trend",
    "wins_by_tier",
]

# Colour-blind-safe (Okabe–Ito): one highlight colour, the rest muted.
PALETTE = {
    "base": "#0072B2",
    "highlight": "#D55E00",
    "muted": "#999999",
    "good": "#009E73",
    "warn": "#E69F00",
    "bad": "#D55E00",
}


@dataclass
class LabelledChart:
    """A chart and the sentence that tells a newcomer how to read it."""

    chart: alt.TopLevelMixin
    caption: str


def _title(text: str, subtitle: str) -> alt.TitleParams:
    return alt.TitleParams(
        text=text,
        subtitle=subtitle,
        anchor="start",
        fontSize=15,
        subtitleFontSize=12,
        subtitleColor="#4a5a60",
    )


def health_trend(
    history: pd.DataFrame, *, red_below: float, green_above: float, account_name: str
) -> LabelledChart:
    """Weekly health score with the red and green thresholds marked."""
    data = history[["week_end", "health"]].dropna()
    if data.empty:
        chart = alt.Chart(pd.DataFrame({"x": [0]})).mark_text(text="No health score yet").encode()
        return LabelledChart(
            chart.properties(
                title=_title(
                    f"{account_name}: no health score yet",
                    "There is no usage on record for this account.",
                )
            ),
            "No chart: the account has no usage on record yet.",
        )
    now = float(data["health"].iloc[-1])
    past = data["health"].iloc[-5] if len(data) > 4 else data["health"].iloc[0]
    delta = now - float(past)
    move = (
        f"up {delta:.0f}" if delta >= 1 else f"down {abs(delta):.0f}" if delta <= -1 else "steady"
    )
    title = (
        f"Health {now:.0f} of 100, {move} over 4 weeks"
        if move != "steady"
        else f"Health steady at {now:.0f} of 100"
    )
    base = alt.Chart(data).encode(
        x=alt.X("week_end:T", title="Week ending"),
        y=alt.Y("health:Q", title="Health score (0–100)", scale=alt.Scale(domain=[0, 100])),
        tooltip=[
            alt.Tooltip("week_end:T", title="Week ending"),
            alt.Tooltip("health:Q", title="Health", format=".0f"),
        ],
    )
    line = base.mark_line(color=PALETTE["base"], strokeWidth=2.5)
    last = base.transform_filter(
        alt.datum.week_end == alt.expr.toDate(data["week_end"].max().isoformat())
    ).mark_point(color=PALETTE["highlight"], size=90, filled=True)
    rules = pd.DataFrame(
        {
            "y": [red_below, green_above],
            "label": [f"Below {red_below:.0f}: red", f"Above {green_above:.0f}: green"],
        }
    )
    rule = alt.Chart(rules).mark_rule(strokeDash=[4, 4], color=PALETTE["muted"]).encode(y="y:Q")
    text = (
        alt.Chart(rules)
        .mark_text(align="left", dx=4, dy=-6, color="#4a5a60")
        .encode(y="y:Q", x=alt.value(0), text="label:N")
    )
    chart = (rule + text + line + last).properties(
        height=260,
        title=_title(title, "Each point is one week. Dashed lines mark the red and green bands."),
    )
    caption = (
        f"The blue line is {account_name}'s health score each week (0 = at risk, 100 = thriving). "
        f"Look at the orange dot: this week's score, {now:.0f}. Below the lower dashed line the account is red; "
        "above the upper one it is green."
    )
    return LabelledChart(chart, caption)


def metric_trend(
    series: pd.DataFrame, *, label: str, unit: str, account_name: str, target: float | None = None
) -> LabelledChart:
    """One metric week by week for one account, with its recommended level if the catalog has one."""
    data = series.dropna()
    if data.empty:
        chart = alt.Chart(pd.DataFrame({"x": [0]})).mark_text().encode()
        return LabelledChart(
            chart.properties(title=_title(f"No {label.lower()} on record", "Nothing to plot yet.")),
            f"No chart: {account_name} has no {label.lower()} on record.",
        )
    first, last = float(data["value"].iloc[0]), float(data["value"].iloc[-1])
    unit_text = f" ({unit})" if unit else ""
    title = f"{label}: {last:,.0f} this week"
    if first > 0:
        title += f", {(last / first - 1):+.0%} over {len(data)} weeks"
    layers = [
        alt.Chart(data)
        .mark_line(color=PALETTE["base"], strokeWidth=2.5, point=True)
        .encode(
            x=alt.X("week_end:T", title="Week ending"),
            y=alt.Y("value:Q", title=f"{label}{unit_text}"),
            tooltip=[
                alt.Tooltip("week_end:T", title="Week ending"),
                alt.Tooltip("value:Q", title=label, format=",.0f"),
            ],
        )
    ]
    sub = "Each dot is one week."
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
    caption = f"The line shows {label.lower()} for {account_name}, one dot per week; the right-most dot is this week."
    return LabelledChart(chart, caption)


def cadence_heatmap(counts: pd.DataFrame) -> LabelledChart:
    """Insights logged per CSM per week (``counts``: csm, week_end, insights)."""
    total = int(counts["insights"].sum()) if len(counts) else 0
    weeks = counts["week_end"].nunique() if len(counts) else 0
    chart = (
        alt.Chart(counts)
        .mark_rect()
        .encode(
            x=alt.X("week_end:T", title="Week ending", timeUnit="yearmonthdate"),
            y=alt.Y("csm:N", title="CSM", sort="ascending"),
            color=alt.Color("insights:Q", title="Insights sent", scale=alt.Scale(scheme="blues")),
            tooltip=[
                alt.Tooltip("csm:N", title="CSM"),
                alt.Tooltip("week_end:T", title="Week ending"),
                alt.Tooltip("insights:Q", title="Insights sent"),
            ],
        )
        .properties(
            height=max(200, 26 * max(1, counts["csm"].nunique() if len(counts) else 1)),
            title=_title(
                f"{total:,} insights shared in {weeks} weeks",
                "Each square is one CSM in one week; darker means more insights sent.",
            ),
        )
    )
    caption = (
        "Each row is a CSM and each column a week. Darker squares mean more insights shared that week; "
        "a pale row is a CSM who may need help finding insights."
    )
    return LabelledChart(chart, caption)


def wins_by_tier(wins: pd.DataFrame) -> LabelledChart:
    """Win insights shared per month, stacked by tier (``wins``: month, tier, wins)."""
    total = int(wins["wins"].sum()) if len(wins) else 0
    chart = (
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
                    range=[PALETTE["base"], PALETTE["good"], PALETTE["warn"]],
                ),
            ),
            tooltip=[
                alt.Tooltip("month:T", title="Month", timeUnit="yearmonth"),
                "tier:N",
                alt.Tooltip("wins:Q", title="Wins"),
            ],
        )
        .properties(
            height=260,
            title=_title(
                f"{total:,} customer wins shared in the last 12 months",
                "Each bar is one month; colours split it by customer tier.",
            ),
        )
    )
    caption = "Each bar counts the win insights CSMs shared with customers that month, split by customer tier."
    return LabelledChart(chart, caption)
