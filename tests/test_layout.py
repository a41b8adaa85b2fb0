"""The README's map of the code stays true: every module of insight_engine is in it."""

from __future__ import annotations

import re

from tests.conftest import ROOT


def test_every_engine_module_is_in_the_readme_map():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Where things live", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\s+([a-z_]+\.py)\s", section, flags=re.M))
    modules = {
        p.name for p in (ROOT / "insight_engine").glob("*.py") if not p.name.startswith("__")
    }
    assert not modules - listed, f"add {sorted(modules - listed)} to README 'Where things live'"
    assert not listed - modules - {"app.py"}, f"gone: {sorted(listed - modules)}"


def test_the_engine_never_imports_streamlit():
    offenders = [
        p.name
        for p in (ROOT / "insight_engine").rglob("*.py")
        if re.search(r"^\s*(import streamlit|from streamlit)", p.read_text(), flags=re.M)
    ]
    assert not offenders, offenders
