"""Quality bars on fresh seeds (not the seeds anything was tuned on), and two on the code:
test modules stand alone, and a problem of a whole file says so."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from insight_engine.analysis.detector import MOTIONS
from insight_engine.devtools.evaluation import evaluate_demo


@pytest.fixture(
    scope="module",
    params=[("seo", 4242), ("seo", 31337), ("projects", 4242), ("projects", 31337)],
    ids=lambda p: f"{p[0]}-{p[1]}",
)
def result(request, tmp_path_factory):
    """Each demo product (its own catalog and words, the same planted situations) on fresh seeds."""
    product, seed = request.param
    return evaluate_demo(600, seed, tmp_path_factory.mktemp(f"q{product}{seed}"), product=product)


@pytest.mark.parametrize("motion", MOTIONS)
def test_detectors_find_what_was_planted(result, motion):
    scores = result["detectors"][motion]
    assert scores["recall"] >= 0.9, scores
    assert scores["precision"] >= 0.8, scores


def test_quiet_healthy_accounts_get_no_win_or_risk(result):
    assert result["quiet_accounts_with_win_or_risk"] == 0


def test_model_beats_the_bar_and_the_prior(result):
    assert result["ranked_by"] == "model"
    assert result["model"]["auc"] >= 0.75
    assert result["model"]["auc"] > result["prior_auc"]


def test_high_opportunity_accounts_rank_at_the_top(result):
    high = result["high_opportunity"]
    assert high["accounts"] >= 5
    assert high["share_in_top_decile"] >= 0.85, high
    assert high["worst_rank"] <= 0.15 * result["accounts"], high


ROOT = Path(__file__).resolve().parent.parent


def _imported_modules(tree: ast.AST, package: str) -> list[tuple[int, str]]:
    """(line, module) for every import in ``tree``, at the top or inside a function."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # from . import x / from .x import y, inside tests/
                base = ".".join(filter(None, [package, base]))
            out += [(node.lineno, base)] + [(node.lineno, f"{base}.{a.name}") for a in node.names]
    return out


def test_test_modules_never_import_one_another():
    """Shared data and builders live in tests/helpers.py (or another non-test module, or a
    conftest fixture): a test module imported by another runs its tests' module code twice
    and ties what one file protects to another's."""
    found = []
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        for line, module in _imported_modules(ast.parse(path.read_text()), "tests"):
            if module.rsplit(".", 1)[-1].startswith("test_"):
                found.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    assert found == [], "\n".join(found)


def test_a_problem_of_the_whole_file_is_made_with_about_file():
    """``Problem(file, None, None, None, ...)`` is ``Problem.about_file(file, ...)``: one way to
    say that no row, column or value is pointed at."""
    found = []
    for path in sorted((ROOT / "insight_engine").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call) or len(node.args) < 4:
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", None))
            if name == "Problem" and all(
                isinstance(a, ast.Constant) and a.value is None for a in node.args[1:4]
            ):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert found == [], found
