"""to-sql reads a folder exactly as ``load --data`` does, and ``load --url`` on the result gives
the same book (issue 13, point 4). Hand-made books only, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from insight_engine.book.loader import load_folder, load_sql
from insight_engine.cli import main
from tests.fixtures import TODAY, book_dir
from tests.helpers import assert_same_book


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, tmp_path) -> str:
    """A URL the command line can take: a SQLite file, or the test server's scratch schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'book.db'}"
    engine = request.getfixturevalue("postgres_engine")
    with engine.connect() as conn:
        schema = conn.execute(sa.text("select current_schema()")).scalar()
    url = engine.url.update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


def _load_json(capsys, *args: str) -> dict:
    capsys.readouterr()
    assert main(["load", *args, "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_load_url_gives_the_book_load_data_gives(db_url, capsys):
    """A wide usage sheet (one column per metric) goes in; the same book comes out."""
    folder = book_dir("wide_usage")
    assert main(["to-sql", "--data", str(folder), "--url", db_url]) == 0
    assert "Copied" in capsys.readouterr().out
    from_url, from_data = (
        _load_json(capsys, "--url", db_url),
        _load_json(capsys, "--data", str(folder)),
    )
    assert (from_url["as_of"], from_url["accounts"]) == (from_data["as_of"], from_data["accounts"])
    assert_same_book(load_folder(folder, today=TODAY), load_sql(db_url, today=TODAY))


def test_the_database_holds_the_contract_tables_typed(tmp_path, capsys):
    """A wide sheet lands as long usage with the contract's columns; dates are dates."""
    url = f"sqlite:///{tmp_path / 'wide.db'}"
    assert main(["to-sql", "--data", str(book_dir("wide_usage")), "--url", url]) == 0
    inspector = sa.inspect(sa.create_engine(url))
    assert set(inspector.get_table_names()) == {"accounts", "metrics", "usage"}
    usage = {c["name"]: c["type"] for c in inspector.get_columns("usage")}
    assert list(usage) == ["account_id", "date", "metric", "value"]
    assert isinstance(usage["date"], sa.Date) and isinstance(usage["value"], sa.Float)
    accounts = {c["name"]: c["type"] for c in inspector.get_columns("accounts")}
    assert isinstance(accounts["renewal_date"], sa.Date) and isinstance(accounts["arr"], sa.Float)
    wide = pd.read_csv(book_dir("wide_usage") / "usage.csv")
    with sa.create_engine(url).connect() as conn:
        rows = conn.execute(sa.text("select count(*) from usage")).scalar()
    assert rows == wide.drop(columns=["account_id", "date"]).notna().sum().sum()


def _every_format(folder, out):
    """The full book as other tools write it: Excel, UTF-16 TSV, ';' with a BOM and spreadsheet
    headers, Parquet, Windows-1252."""
    out.mkdir()
    read = {f.stem: pd.read_csv(f, dtype=str, keep_default_na=False) for f in folder.glob("*.csv")}
    read["accounts"].to_excel(out / "accounts.xlsx", index=False)
    (out / "metrics.tsv").write_bytes(
        read["metrics"].to_csv(sep="\t", index=False).encode("utf-16")
    )
    usage = read["usage"].rename(
        columns={"account_id": "Account ID", "date": "Date", "metric": "Metric", "value": "Value"}
    )
    (out / "usage.csv").write_bytes(usage.to_csv(sep=";", index=False).encode("utf-8-sig"))
    pq.write_table(
        pa.Table.from_pandas(read["tickets"], preserve_index=False), out / "tickets.parquet"
    )
    (out / "notes.csv").write_bytes(read["notes"].to_csv(index=False).encode("cp1252"))
    for name in ("contacts", "surveys", "milestones", "insights"):
        shutil.copy(folder / f"{name}.csv", out / f"{name}.csv")
    return out


def test_to_sql_reads_every_format_load_reads(db_url, tmp_path, capsys):
    """Every table, each file as another tool writes it; the same book as the plain CSV book."""
    folder = _every_format(book_dir("full"), tmp_path / "formats")
    assert main(["to-sql", "--data", str(folder), "--url", db_url]) == 0
    files = load_folder(folder, today=TODAY)
    assert files.report.rejected_rows == 0 and len(files.tickets) and len(files.notes)
    database = load_sql(db_url, today=TODAY)
    assert_same_book(files, database)
    assert_same_book(load_folder(book_dir("full"), today=TODAY), database)


def test_rows_load_sets_aside_are_not_copied_and_to_sql_says_so(tmp_path, capsys):
    folder = tmp_path / "book"
    shutil.copytree(book_dir("full"), folder)
    with (folder / "usage.csv").open("a") as f:
        f.write("HD-01,2026-10-30,tickets_solved,-4\nNOPE,2026-10-30,tickets_solved,3\n")
    url = f"sqlite:///{tmp_path / 'book.db'}"
    assert main(["to-sql", "--data", str(folder), "--url", url]) == 0
    err = capsys.readouterr().err
    assert "2 rows were set aside while loading and not copied" in err
    assert f"python -m insight_engine load --data {folder}" in err
    database = load_sql(url, today=TODAY)
    assert database.report.rejected_rows == 0
    assert_same_book(load_folder(folder, today=TODAY), database)
