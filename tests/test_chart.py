"""Charts for the uninitiated: checked on the Vega-Lite spec, and rendered to PNG offline."""

from __future__ import annotations

import struct

import altair as alt
import numpy as np
import pandas as pd
import pytest

from insight_engine.chart import (
    PALETTE,
    ChartStandardError,
    _standard,
    cadence_heatmap,
    check_visual_standard,
    insight_chart,
    to_png,
    wins_by_tier,
)
from insight_engine.detector import signal_records
from insight_engine.engine import analyze
from tests.helpers import AS_OF, tiny_book


@pytest.fixture(scope="module")
def analysis(demo_book):
    return analyze(demo_book, model_dir=None)


def signal(analysis, detector):
    account = analysis.signals.loc[analysis.signals["detector"] == detector, "account_id"].iloc[0]
    return next(
        r | {"account_id": account}
        for r in signal_records(analysis.signals, account)
        if r["detector"] == detector
    )


def layers(spec):
    out = [spec]
    for key in ("layer", "vconcat", "hconcat"):
        for child in spec.get(key, []):
            out += layers(child)
    return out


def test_every_detector_has_a_valid_chart_that_meets_the_standard(demo_book, analysis):
    for detector in analysis.signals["detector"].unique():
        chart = insight_chart(demo_book, analysis.health, signal(analysis, detector))
        assert check_visual_standard(chart.spec, raw_keys=set(demo_book.weekly.metrics)) == [], (
            detector
        )
        chart.chart.to_dict()  # full Vega-Lite schema validation
        assert len(chart.data) <= 2000
        assert chart.caption and chart.label.endswith(".")


def test_win_chart_title_number_highlight_dates_and_peer_band(demo_book, analysis):
    sig = signal(analysis, "outcome_rise")
    chart = insight_chart(demo_book, analysis.health, sig)
    spec = chart.spec
    uplift = sig["evidence"]["after"] / sig["evidence"]["before"] - 1
    assert f"up {uplift:.0%}" in chart.title
    # the highlighted span covers exactly the recent 4 weeks
    rect = next(
        node
        for node in layers(spec)
        if isinstance(node.get("mark"), dict) and node["mark"].get("type") == "rect"
    )
    datasets = spec["datasets"]
    span = datasets[rect["data"]["name"]][0]
    last4 = demo_book.weekly.week_ends[-4:]
    assert (
        pd.Timestamp(span["start"]) < last4[0]
        and pd.Timestamp(span["start"]) > demo_book.weekly.week_ends[-5]
    )
    # callouts carry the evidence numbers
    assert (
        f"{round(sig['evidence']['before']):,}" in chart.caption
        and f"{round(sig['evidence']['after']):,}" in chart.caption
    )
    # the peer band is the tier's middle 50%
    tier = demo_book.account(sig["account_id"])["tier"]
    rows = (demo_book.accounts["tier"] == tier).to_numpy()
    k = demo_book.weekly.metrics.get_loc(sig["evidence"]["metric"])
    q25, q75 = np.nanpercentile(demo_book.weekly.values[rows, -1, k], [25, 75])
    last = chart.data.iloc[-1]
    assert last["peer_low"] == pytest.approx(q25) and last["peer_high"] == pytest.approx(q75)
    # axis titles come from the catalog label
    y_titles = {
        n["encoding"]["y"].get("title") for n in layers(spec) if "y" in n.get("encoding", {})
    }
    assert "Keywords ranked in the top 10 (keywords)" in y_titles


def test_practice_chart_rule_sits_at_the_target(demo_book, analysis):
    sig = signal(analysis, "below_target")
    chart = insight_chart(demo_book, analysis.health, sig)
    spec = chart.spec
    rule = next(
        n
        for n in layers(spec)
        if isinstance(n.get("mark"), dict) and n["mark"].get("type") == "rule"
    )
    assert spec["datasets"][rule["data"]["name"]][0]["value"] == sig["evidence"]["target"]
    assert f"{sig['evidence']['target']:g} recommended" in chart.title
    assert chart.title.split(":")[1].strip().startswith(f"{round(sig['evidence']['after'])} set up")


def test_stall_chart_highlights_the_overdue_milestone_and_today(demo_book, analysis):
    sig = signal(analysis, "milestone_overdue")
    chart = insight_chart(demo_book, analysis.health, sig)
    overdue = chart.data.loc[chart.data["status"] == "overdue", "milestone"]
    assert sig["headline"].split(" is ")[0] in set(overdue)
    assert "days overdue" in chart.title


def test_png_export_is_a_real_2x_image(demo_book, analysis):
    chart = insight_chart(demo_book, analysis.health, signal(analysis, "outcome_rise"))
    one, two = to_png(chart, scale=1), to_png(chart, scale=2)
    assert two[:8] == b"\x89PNG\r\n\x1a\n"
    width1, width2 = struct.unpack(">I", one[16:20])[0], struct.unpack(">I", two[16:20])[0]
    assert width2 == pytest.approx(2 * width1, abs=2)


def test_tiny_data_gives_an_honest_simpler_chart():
    book = tiny_book({("A", "keywords_top10"): [100.0], ("B", "keywords_top10"): [90.0]})
    from insight_engine.chart import win_chart

    chart = win_chart(book, "A", "keywords_top10")
    assert chart.caption.startswith("No chart yet:") and "fewer than" in chart.caption
    assert to_png(chart)[:4] == b"\x89PNG"


def test_team_charts_and_empty_periods():
    counts = pd.DataFrame(
        {
            "csm": ["Ana", "Bo", "Ana"],
            "week_end": pd.to_datetime([AS_OF] * 3),
            "insights": [3, 1, 2],
        }
    )
    heat = cadence_heatmap(counts)
    assert heat.title.startswith("6 insights")
    assert cadence_heatmap(counts.iloc[0:0]).caption.startswith("No chart yet")
    wins = pd.DataFrame(
        {
            "month": pd.to_datetime(["2026-10-01", "2026-11-01"]),
            "tier": ["Growth", "Starter"],
            "wins": [4, 2],
        }
    )
    assert "6 customer wins" in wins_by_tier(wins).title


@pytest.mark.parametrize(
    ("title", "subtitle", "colour", "callout", "axis_title", "problem"),
    [
        ("Keywords up 38%", "How to read", PALETTE["highlight"], True, "Keywords", None),
        ("Keywords trend", "How to read", PALETTE["highlight"], True, "Keywords", "number"),
        ("Keywords up 38%", "", PALETTE["highlight"], True, "Keywords", "subtitle"),
        ("Keywords up 38%", "How to read", PALETTE["base"], True, "Keywords", "highlight"),
        ("Keywords up 38%", "How to read", PALETTE["highlight"], False, "Keywords", "callout"),
        ("Keywords up 38%", "How to read", PALETTE["highlight"], True, "keywords_top10", "raw key"),
        ("Keywords up 38%", "How to read", "#ff00ff", True, "Keywords", "palette"),
    ],
)
def test_the_standard_is_enforced(title, subtitle, colour, callout, axis_title, problem):
    data = pd.DataFrame({"x": [1, 2], "y": [3, 4], "t": ["a", "b"]})
    chart = (
        alt.Chart(data)
        .mark_line(color=colour)
        .encode(x=alt.X("x:Q", title="Week"), y=alt.Y("y:Q", title=axis_title), tooltip=["y:Q"])
    )
    if callout:
        chart = alt.layer(chart, alt.Chart(data).mark_text().encode(x="x:Q", y="y:Q", text="t:N"))
    chart = chart.properties(title=alt.TitleParams(title, subtitle=subtitle), width=300, height=200)
    problems = check_visual_standard(chart.to_dict(validate=False), raw_keys={"keywords_top10"})
    if problem is None:
        assert problems == []
        _standard(chart, "Caption.", data, raw_keys=set())
    else:
        assert any(problem in p for p in problems), problems
        with pytest.raises(ChartStandardError):
            _standard(chart, "Caption.", data, raw_keys={"keywords_top10"})
