"""Charts for the uninitiated: checked on the Vega-Lite spec, and rendered to PNG offline."""

from __future__ import annotations

import re
import struct

import altair as alt
import numpy as np
import pandas as pd
import pytest

from insight_engine.analysis.detector import signal_records
from insight_engine.analysis.engine import analyze
from insight_engine.outputs.chart import (
    AUTOSIZE,
    PALETTE,
    ROW_PX,
    TITLE_CHARS,
    ChartStandardError,
    _standard,
    cadence_heatmap,
    cadence_vs_target,
    check_layout,
    check_visual_standard,
    insight_chart,
    to_png,
    wins_by_tier,
)
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
    from insight_engine.outputs.chart import win_chart

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


# --- Layout: every chart renders as designed, in the app and in the PNG (issue 16) -----------

LAYOUT_BOOKS = [
    "demo",
    "full",
    "snapshot",
    "single_metric",
    "per_feature",
    "no_history",
    "no_seats",
]


@pytest.fixture(scope="module")
def layout_charts(demo_book, analysis):
    """Every chart each book gives: one per detector with a signal, the account page's health
    and usage trends, the risk breakdown, and the team and executive charts from its history."""
    from insight_engine.analysis.cadence import team_weekly, weekly_counts
    from insight_engine.book.loader import load_folder
    from insight_engine.outputs.chart import (
        health_distribution,
        health_trend,
        metric_trend,
        risk_chart,
    )
    from tests.fixtures import TODAY, book_dir

    out = {}
    for name in LAYOUT_BOOKS:
        if name == "demo":
            book, result = demo_book, analysis
        else:
            book = load_folder(book_dir(name), today=TODAY)
            result = analyze(book, model_dir=None)
        charts = {}
        for detector in result.signals["detector"].unique():
            charts[detector] = insight_chart(book, result.health, signal(result, detector))
        account = str(book.accounts["account_id"].iloc[0])
        charts["health_trend"] = health_trend(
            result.health.history(account), red_below=50, green_above=70, account_name="A"
        )
        charts["risk"] = risk_chart(book, result.health, account)
        metric = book.weekly.metrics[0]
        frame = (
            book.weekly.account_frame(account)[metric]
            .rename("value")
            .rename_axis("week_end")
            .reset_index()
        )
        charts["metric_trend"] = metric_trend(
            frame, label="Things", unit="things", account_name="A"
        )
        counts = weekly_counts(book.insights, as_of=book.as_of, weeks=12)
        charts["cadence_heatmap"] = cadence_heatmap(
            counts.groupby(["csm", "week_end"], as_index=False)["insights"].sum()
        )
        charts["cadence_vs_target"] = cadence_vs_target(
            team_weekly(
                book.insights,
                as_of=book.as_of,
                weeks=12,
                n_accounts=len(book.accounts),
                per_account_per_month=1.0,
            )
        )
        charts["health_distribution"] = health_distribution(
            pd.Series(result.health.score[:, -1]), pd.Series(result.health.score[:, -14])
        )
        out[name] = charts
    return out


@pytest.mark.parametrize("name", LAYOUT_BOOKS)
def test_every_chart_states_its_size_and_keeps_the_highlight_on_top(layout_charts, name):
    for kind, chart in layout_charts[name].items():
        spec = chart.spec
        # its own autosize (Streamlit's theme would apply "fit" and squeeze the plot), an
        # explicit width and height, wrapped titles, the highlighted mark drawn on top
        assert check_layout(spec) == [], (name, kind, check_layout(spec))
        assert spec["autosize"] == AUTOSIZE and spec["height"] >= 2 * ROW_PX, (name, kind)
        assert spec["config"]["axis"]["labelOverlap"] is True, (name, kind)
        assert all(len(line) <= TITLE_CHARS or " " not in line for line in spec["title"]["text"])


@pytest.mark.parametrize("name", LAYOUT_BOOKS)
def test_a_hover_shows_only_tooltips_written_for_people(layout_charts, name):
    """The app's chart theme shows every encoded field raw on hover ('per_seat 0.480769230769')
    for a mark with no tooltip of its own; each chart turns that off, and every tooltip it does
    give names its fields in words."""
    for kind, chart in layout_charts[name].items():
        spec = chart.spec
        assert spec["config"]["mark"]["tooltip"] is False, (name, kind)
        for node in layers(spec):
            tips = node.get("encoding", {}).get("tooltip", [])
            for tip in tips if isinstance(tips, list) else [tips]:
                assert tip.get("title"), (name, kind, tip)  # never a raw field name


def test_the_health_trend_draws_a_point_for_each_week(layout_charts):
    """Its subtitle says each point is one week: the line carries a dot per week (a bare line
    was hard to hover)."""
    spec = layout_charts["full"]["health_trend"].spec
    assert "each point is one week" in " ".join(spec["title"]["subtitle"]).lower()
    lines = [n for n in layers(spec) if (n.get("mark") or {}).get("type") == "line"]
    assert lines and all(n["mark"].get("point") for n in lines)


@pytest.mark.parametrize("name", LAYOUT_BOOKS)
def test_rendered_charts_print_no_raw_numbers_or_missing_values(layout_charts, name):
    """Rendered offline to SVG (vl-convert, what the PNG is made from): no '0.000000' or
    '1.000000' on an axis or legend, no 'nan', 'None' or raw key, no '1 days'."""
    import vl_convert as vlc

    for kind, chart in layout_charts[name].items():
        svg = vlc.vegalite_to_svg(chart.spec)
        texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
        assert texts, (name, kind)
        bad = [
            t
            for t in texts
            if re.search(r"\d\.0{3,}|\bnan\b|\bNone\b|\bNaT\b|\b1 (days|weeks)\b|[a-z]+_[a-z]+", t)
        ]
        assert not bad, (name, kind, bad)


def _y(spec: dict) -> dict:
    return next(n["encoding"]["y"] for n in layers(spec) if "y" in n.get("encoding", {}))


@pytest.mark.parametrize(
    ("kind", "rows"),
    [
        ("below_target", lambda d: len(d)),  # the account and the typical customer
        ("milestone_overdue", lambda d: len(d)),  # every milestone
        ("complement_gap", lambda d: len(d)),  # capability x (account, typical)
        ("cadence_heatmap", lambda d: d["csm"].nunique()),  # every CSM
    ],
)
def test_one_row_per_compared_item_each_row_px_tall(layout_charts, kind, rows):
    seen = 0
    for name, charts in layout_charts.items():
        chart = charts.get(kind)
        if chart is None or chart.caption.startswith("No chart yet"):
            continue
        seen += 1
        spec = chart.spec
        assert spec["height"] >= ROW_PX * rows(chart.data), (name, kind, spec["height"])
        assert _y(spec)["axis"]["labelOverlap"] is False, (name, kind)  # never drop a name
    assert seen, f"no book gave a {kind} chart"


@pytest.mark.parametrize(
    ("kind", "channel"),
    [
        ("cadence_vs_target", ("encoding", "y", "axis")),
        ("cadence_heatmap", ("encoding", "color", "legend")),
        ("health_distribution", ("encoding", "y", "axis")),
        ("below_target", ("encoding", "x", "axis")),  # alerts, integrations: whole numbers
    ],
)
def test_count_axes_step_in_whole_numbers(layout_charts, kind, channel):
    seen = 0
    for name, charts in layout_charts.items():
        chart = charts.get(kind)
        if chart is None or chart.caption.startswith("No chart yet"):
            continue
        node = next(n for n in layers(chart.spec) if channel[1] in n.get("encoding", {}))
        axis = node[channel[0]][channel[1]][channel[2]]
        assert axis["format"] == "d" and axis["tickMinStep"] == 1, (name, kind, axis)
        seen += 1
    assert seen, f"no book gave a {kind} chart"


def test_the_highlight_is_drawn_where_it_can_be_seen(layout_charts):
    """The orange mark is the last non-text layer: the risk chart's red band over the stacked
    areas, a zero value's orange tick over the bars."""
    for name, charts in layout_charts.items():
        for kind, chart in charts.items():
            leaves = [n for n in layers(chart.spec) if n.get("mark")]
            drawn = [
                n
                for n in leaves
                if (n["mark"].get("type") if isinstance(n["mark"], dict) else n["mark"]) != "text"
            ]
            colours = [
                {str(n["mark"].get(k, "")).upper() for k in ("color", "stroke")}
                | {str(n.get("encoding", {}).get("color", {}).get("value", "")).upper()}
                for n in drawn
                if isinstance(n["mark"], dict)
            ]
            if any(PALETTE["highlight"].upper() in c for c in colours):
                assert PALETTE["highlight"].upper() in colours[-1], (name, kind)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({}, None),
        ({"autosize": "fit"}, "autosize"),  # Streamlit's theme would squeeze the plot
        ({"height": None}, "height"),
        ({"title": {"text": "A long title that says 38 things in one line"}}, "not wrapped"),
        ({"layer": "area on top"}, "drawn over the highlighted mark"),
        ({"layer": "line on top"}, "not drawn last"),
    ],
)
def test_the_layout_check_catches_each_mistake(change, problem):
    data = pd.DataFrame({"x": [1, 2], "y": [3, 4], "t": ["a", "b"]})
    line = alt.Chart(data).mark_line(color=PALETTE["highlight"]).encode(x="x:Q", y="y:Q")
    text = alt.Chart(data).mark_text().encode(x="x:Q", y="y:Q", text="t:N")
    other = {
        "area on top": alt.Chart(data).mark_area(color=PALETTE["base"]).encode(x="x:Q", y="y:Q"),
        "line on top": alt.Chart(data).mark_line(color=PALETTE["base"]).encode(x="x:Q", y="y:Q"),
    }
    layers_ = [line, text] + ([other[change["layer"]]] if "layer" in change else [])
    spec = (
        alt.layer(*layers_)
        .properties(
            title=alt.TitleParams(["Up 38%"], subtitle=["Read"]),
            width=300,
            height=200,
            autosize=AUTOSIZE,
        )
        .to_dict(validate=False)
    )
    spec |= {k: v for k, v in change.items() if k != "layer"}
    problems = check_layout({k: v for k, v in spec.items() if v is not None})
    if problem is None:
        assert problems == []
    else:
        assert any(problem in p for p in problems), problems
