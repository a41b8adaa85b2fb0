"""The command line uses the same code as the app."""

import json

import pytest

from insight_engine.cli import main


def test_demo_then_load(tmp_path, capsys):
    assert (
        main(
            [
                "demo",
                "--accounts",
                "30",
                "--seed",
                "2",
                "--days",
                "60",
                "--out",
                str(tmp_path / "b"),
            ]
        )
        == 0
    )
    assert (tmp_path / "b" / "ground_truth.csv").exists()
    capsys.readouterr()
    assert main(["load", "--data", str(tmp_path / "b"), "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["accounts"] == 30 and out["problems"] == []


def test_load_reports_problems_and_exit_code(tmp_path, capsys):
    from tests.helpers import write

    write(
        tmp_path,
        usage__csv="account_id,date,metric,value\nA1,2026-11-16,report_views,-2\nA2,2026-11-16,report_views,1\n",
    )
    assert main(["load", "--data", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "usage.csv, row 2, column 'value': '-2': is negative" in out


def test_load_error_is_a_message_not_a_traceback(tmp_path, capsys):
    assert main(["load", "--data", str(tmp_path / "missing")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_rank_json_and_evaluate(tmp_path, capsys):
    assert main(["demo", "--accounts", "120", "--seed", "5", "--out", str(tmp_path / "b")]) == 0
    capsys.readouterr()
    assert (
        main(["rank", "--data", str(tmp_path / "b"), "--top", "5", "--format", "json", "--no-save"])
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert len(out["accounts"]) == 5
    row = out["accounts"][0]
    assert {"account_id", "score", "motion", "headline", "reasons", "signals"} <= set(row)
    assert isinstance(row["reasons"], list) and row["signals"][0]["evidence"]
    assert {"motion", "headline", "strength", "evidence"} <= set(row["signals"][0])
    assert (
        main(["rank", "--data", str(tmp_path / "b"), "--top", "3", "--format", "csv", "--no-save"])
        == 0
    )
    assert capsys.readouterr().out.startswith(
        "account_id,account_name,score,motion,headline,reasons"
    )
    assert main(["evaluate", "--accounts", "150", "--seed", "9"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result["detectors"]) == {
        "win",
        "feature",
        "better_practice",
        "stall",
        "risk",
        "expansion",
    }
    assert {"auc", "calibration"} <= set(result["model"]) and "prior_auc" in result


def test_draft_text_and_json(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    assert main(["demo", "--accounts", "120", "--seed", "5", "--out", str(tmp_path / "b")]) == 0
    capsys.readouterr()
    assert (
        main(["rank", "--data", str(tmp_path / "b"), "--top", "1", "--format", "json", "--no-save"])
        == 0
    )
    top = json.loads(capsys.readouterr().out)["accounts"][0]
    assert (
        main(
            [
                "draft",
                "--data",
                str(tmp_path / "b"),
                "--account",
                top["account_id"],
                "--format",
                "json",
            ]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert out["drafter"] == "template" and "templates" in out["notice"]
    for audience in ("admin", "champion", "executive"):
        d = out["drafts"][audience]
        assert {
            "subject",
            "one_liner",
            "background",
            "result",
            "action",
            "reinforcement",
            "text",
        } <= set(d)
    assert (
        main(
            [
                "draft",
                "--data",
                str(tmp_path / "b"),
                "--account",
                top["account_id"],
                "--audience",
                "executive",
            ]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert "===== executive =====" in text and "===== admin" not in text
    assert main(["draft", "--data", str(tmp_path / "b"), "--account", "NOPE"]) == 2


# Issue 13: strict JSON from rank, rows set aside said on stderr, --date-order everywhere.
# Hand-made books only (tests/fixtures/books).


def _refuse(constant: str):
    raise ValueError(f"not strict JSON: {constant}")


def test_rank_json_is_strict_and_holds_each_accounts_signals(capsys):
    from insight_engine.analysis.detector import signal_records
    from insight_engine.analysis.engine import analyze
    from insight_engine.book.loader import load_folder
    from insight_engine.outputs.export import SIGNAL_FIELDS
    from tests.fixtures import TODAY, book_dir

    folder = book_dir("full")
    assert main(["rank", "--data", str(folder), "--format", "json", "--no-save"]) == 0
    out = json.loads(capsys.readouterr().out, parse_constant=_refuse)
    book = load_folder(folder, today=TODAY)
    analysis = analyze(book, model_dir=None)
    assert out["as_of"] == "2026-10-31" and out["ranked_by"] == analysis.model.kind
    assert [a["account_id"] for a in out["accounts"]] == list(analysis.ranked["account_id"])
    quiet = [a for a in out["accounts"] if not a["signals"]]
    assert quiet and all(a["motion"] is None for a in quiet)  # was NaN
    for row, ranked in zip(out["accounts"], analysis.ranked.itertuples(), strict=True):
        assert set(row) == {
            "account_id",
            "account_name",
            "score",
            "motion",
            "headline",
            "reasons",
            "signals",
        }
        assert (row["score"], row["headline"], row["reasons"]) == (
            ranked.score,
            ranked.headline,
            list(ranked.reasons),
        )
        assert row["signals"] == [
            {k: s[k] for k in SIGNAL_FIELDS}
            for s in signal_records(analysis.signals, row["account_id"])
        ]


def _with_bad_usage_rows(tmp_path):
    import shutil

    from tests.fixtures import book_dir

    folder = tmp_path / "book"
    shutil.copytree(book_dir("full"), folder)
    with (folder / "usage.csv").open("a") as f:
        f.write("HD-01,2026-10-30,tickets_solved,-4\nNOPE,2026-10-30,tickets_solved,3\n")
    return folder


@pytest.mark.parametrize(
    "command", [["rank", "--no-save"], ["draft", "--account", "HD-05"]], ids=["rank", "draft"]
)
def test_rank_and_draft_say_how_many_rows_were_set_aside(command, tmp_path, capsys, monkeypatch):
    from tests.fixtures import book_dir

    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    assert main([*command, "--data", str(book_dir("full"))]) == 0
    assert capsys.readouterr().err == ""  # nothing set aside, nothing said
    folder = _with_bad_usage_rows(tmp_path)
    assert main([*command, "--data", str(folder)]) == 0
    err = capsys.readouterr().err
    assert "2 rows were set aside while loading and left out" in err
    assert f"`python -m insight_engine load --data {folder}`" in err


def _day_first_book(tmp_path):
    """The full book with usage dates written 31/10/2026: day first, which auto reads."""
    import shutil

    import pandas as pd

    from tests.fixtures import book_dir

    folder = tmp_path / "dmy"
    shutil.copytree(book_dir("full"), folder)
    usage = pd.read_csv(folder / "usage.csv", dtype=str)
    usage["date"] = pd.to_datetime(usage["date"]).dt.strftime("%d/%m/%Y")
    usage.to_csv(folder / "usage.csv", index=False)
    return folder


@pytest.mark.parametrize("command", ["load", "rank", "draft", "to-sql"])
def test_every_loading_command_takes_date_order(command, tmp_path, capsys, monkeypatch):
    """Month first reads 12/10/2026 as 10 December (after 'today': set aside) and 31/10/2026
    not at all; the command says so, and names the order in the load command to run."""
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    folder = _day_first_book(tmp_path)
    extra = {
        "load": [],
        "rank": ["--no-save"],
        "draft": ["--account", "HD-05"],
        "to-sql": ["--url", f"sqlite:///{tmp_path / 'book.db'}"],
    }[command]
    run = [command, "--data", str(folder), *extra, "--date-order"]
    assert main([*run, "day_first"]) == 0
    assert "set aside while loading" not in capsys.readouterr().err
    code = main([*run, "month_first"])
    out, err = capsys.readouterr()
    if command == "load":
        assert code == 1 and "set aside" in out
    else:
        assert code == 0
        assert f"load --data {folder} --date-order month_first`" in err
