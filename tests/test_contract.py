"""The contract is documented, and its derived values follow the play."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from insight_engine.settings import describe_settings
from insight_engine.source.contract import TABLES, derive_tier
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()


@pytest.mark.parametrize("table", list(TABLES))
def test_every_table_and_column_is_documented_in_the_readme(table):
    section = re.search(rf"^#### `{table}`.*?(?=^#### |^## |\Z)", README, flags=re.M | re.S)
    assert section, f"README has no '#### `{table}`' section in the data contract"
    for col in TABLES[table].columns:
        assert f"`{col.name}`" in section.group(0), f"README does not document {table}.{col.name}"


@pytest.mark.parametrize("setting", [s["name"] for s in describe_settings()])
def test_every_setting_is_documented(setting):
    assert f"`{setting}`" in README, f"README does not document the setting {setting}"


@pytest.mark.parametrize(
    ("arr", "tier"),
    [
        (0, "Starter"),
        (9_999, "Starter"),
        (10_000, "Growth"),
        (50_000, "Growth"),
        (50_001, "Enterprise"),
        (2e6, "Enterprise"),
    ],
)
def test_tier_from_arr(arr, tier):
    assert derive_tier(arr) == tier
    assert derive_tier(pd.Series([arr])).iloc[0] == tier


def test_required_tables_are_accounts_and_usage():
    # the metric catalog is derived from usage when absent
    assert {t for t, s in TABLES.items() if s.required} == {"accounts", "usage"}


def test_the_readme_contract_is_the_one_the_code_enforces():
    """Required flags and meanings drift unless the README's tables are the generated ones
    (``python -m insight_engine docs contract`` prints them)."""
    from insight_engine.cli import docs_markdown

    assert docs_markdown("contract").strip() in README
