"""The code's layout stays true: the README's map, and imports that follow the data's flow.

Data flows ``source → book → analysis → outputs``; the insight ``log`` stands beside them
(it knows books, and outputs read it). A package never imports one later in the flow, the
app never imports ``devtools``, and nothing in ``insight_engine`` imports streamlit. Plain
``ast``: every import counts, at the top of a module or inside a function.
"""

from __future__ import annotations

import ast
import re

import pytest

from tests.conftest import ROOT

ENGINE = ROOT / "insight_engine"
# What each package may import, besides the top-level modules (errors, fmt, settings, ...).
ALLOWED = {
    "source": {"source"},
    "book": {"source", "book"},
    "analysis": {"source", "book", "analysis"},
    "outputs": {"source", "book", "analysis", "outputs", "log"},
    "log": {"book", "log"},
    "devtools": {"source", "book", "analysis", "outputs", "log", "devtools"},
}
TOP_LEVEL = {p.stem for p in ENGINE.glob("*.py") if not p.name.startswith("__")}
# Top-level modules sit below every package, except the entry points: the public API
# (``__init__``), the CLI and ``python -m``. ``errors`` names the ValidationReport for typing.
_ENTRY = set(ALLOWED) - {"devtools"}
TOP_ALLOWED = {"errors": {"source"}, "cli": _ENTRY, "__init__": _ENTRY, "__main__": _ENTRY}
# The CLI's ``evaluate`` and ``demo`` commands are development tools: only cli.py may reach
# devtools, and only from inside the command's function.
CLI_DEVTOOLS = "cli.py"


def _imports(path):
    """(imported module, line, at module level) for every ``insight_engine`` import."""
    tree = ast.parse(path.read_text())
    top = {id(n) for n in tree.body}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = (
                [f"{node.module}.{a.name}" for a in node.names]
                if node.module == "insight_engine"
                else [node.module]
            )
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        for name in names:
            if name.startswith("insight_engine."):
                yield name.split(".")[1], node.lineno, id(node) in top


def _package_of(path):
    rel = path.relative_to(ENGINE).parts
    return rel[0] if len(rel) > 1 else path.stem


def _engine_files():
    return [p for p in ENGINE.rglob("*.py") if "migrations" not in p.parts]


def test_every_engine_module_is_in_the_readme_map():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Where things live", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\s+([a-z_]+\.py)\s", section, flags=re.M))
    packages = set(re.findall(r"^\s+([a-z_]+)/\s", section, flags=re.M))
    modules = {p.name for p in _engine_files() if not p.name.startswith("__")}
    assert not modules - listed, f"add {sorted(modules - listed)} to README 'Where things live'"
    assert not listed - modules - {"app.py"}, f"gone: {sorted(listed - modules)}"
    subpackages = {p.parent.name for p in ENGINE.glob("*/__init__.py")}
    assert subpackages <= packages, f"add {sorted(subpackages - packages)}/ to the README map"


def test_every_subpackage_has_a_place_in_the_flow():
    subpackages = {p.parent.name for p in ENGINE.glob("*/__init__.py")}
    assert subpackages == set(ALLOWED), "give the new package its place in ALLOWED"


@pytest.mark.parametrize("path", _engine_files(), ids=lambda p: str(p.relative_to(ENGINE)))
def test_imports_follow_the_flow(path):
    package = _package_of(path)
    may = ALLOWED.get(package, TOP_ALLOWED.get(package, set())) | TOP_LEVEL
    wrong = []
    for target, line, at_top in _imports(path):
        if target == "devtools" and path.name == CLI_DEVTOOLS and not at_top:
            continue
        if target not in may:
            wrong.append(f"line {line} imports {target}")
    assert not wrong, f"{path.relative_to(ROOT)}: {wrong} (the flow: {ALLOWED})"


def test_the_app_never_imports_devtools():
    app_files = [ROOT / "app.py", *(ROOT / "pages").rglob("*.py")]
    offenders = [
        f"{p.relative_to(ROOT)}:{line}"
        for p in app_files
        for target, line, _ in _imports(p)
        if target == "devtools"
    ]
    assert not offenders, offenders


def test_a_rule_broken_is_caught(tmp_path):
    """The check reads what it should: a source module importing the analysis is found."""
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from insight_engine.analysis.health import compute_health\n")
    assert [t for t, _, _ in _imports(bad)] == ["analysis"]
    assert "analysis" not in ALLOWED["source"]


def test_the_engine_never_imports_streamlit():
    offenders = [
        p.name
        for p in ENGINE.rglob("*.py")
        if re.search(r"^\s*(import streamlit|from streamlit)", p.read_text(), flags=re.M)
    ]
    assert not offenders, offenders
