"""The command line uses the same code as the app."""

import json

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
    from tests.test_loader_bad_input import write

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
