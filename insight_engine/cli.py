"""Command line: ``python -m insight_engine COMMAND`` (``--help`` lists them)."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from insight_engine import fmt
from insight_engine.analysis.detector import MOTIONS
from insight_engine.errors import RudderError
from insight_engine.outputs.draft import AUDIENCES
from insight_engine.paths import MODEL_DIR
from insight_engine.source.demo import PRODUCTS

if TYPE_CHECKING:
    from insight_engine.source.problems import ValidationReport

MODEL_DIR_DEFAULT = MODEL_DIR
DATE_ORDERS = ("auto", "day_first", "month_first")  # validation.DateOrder

__all__ = ["main"]


def _cmd_demo(args: argparse.Namespace) -> int:
    from insight_engine.source.demo import DEMO_AS_OF, generate_demo, write_demo

    book = generate_demo(
        args.accounts,
        args.seed,
        as_of=args.as_of or DEMO_AS_OF,
        days=args.days,
        product=args.product,
    )
    out = write_demo(book, args.out)
    print(
        f"Wrote a demo book of {args.accounts:,} accounts ({book.usage.num_rows:,} usage rows) to {out}"
    )
    return 0


def _cmd_ensure_demo(args: argparse.Namespace) -> int:
    from insight_engine.book.loader import DEFAULT_DEMO_DIR, ensure_demo

    path = ensure_demo(args.out or DEFAULT_DEMO_DIR)
    print(f"Demo book ready in {path}")
    return 0


def _cmd_load(args: argparse.Namespace) -> int:
    """Validate a folder or database and print the report (exit 1 if anything was set aside)."""
    book = _load(args)
    report = book.report
    if args.format == "json":
        frame = report.to_frame()
        print(
            json.dumps(
                {
                    "summary": report.summary(),
                    "as_of": f"{book.as_of:%Y-%m-%d}",
                    "accounts": len(book.accounts),
                    "problems": json.loads(frame.to_json(orient="records")),
                },
                indent=2,
            )
        )
    else:
        print(report.summary())
        print(
            f"As of {book.as_of:%Y-%m-%d}: {len(book.accounts):,} accounts, {fmt.weeks(book.weekly.weeks_covered)} of usage, "
            f"{book.weekly.shape[2]} metrics."
        )
        for p in report.problems:
            print(f"- [{p.severity}] {p}")
    return 1 if report.rejected_rows else 0


def _load(args: argparse.Namespace):
    """The book from ``--data`` (read with ``--date-order``, ``--mapping`` and ``--guess``) or
    ``--url``, as of ``--as-of``."""
    from insight_engine.book.loader import load_folder, load_sql

    if args.url:
        return load_sql(args.url, as_of=args.as_of)
    mapping = _mapping(args)
    return load_folder(args.data, as_of=args.as_of, date_order=args.date_order, mapping=mapping)


def _mapping(args: argparse.Namespace):
    """The saved mapping of ``--mapping``; with ``--guess``, completed by the suggestions for
    every other file, printed on stderr (and written to ``--save-mapping``) so it can be kept."""
    from insight_engine.book.loader import folder_plan
    from insight_engine.source.mapping_file import SavedMapping

    mapping = SavedMapping.load(args.mapping) if getattr(args, "mapping", None) else None
    if not getattr(args, "guess", False):
        return mapping
    plan, notes = folder_plan(args.data, mapping, guess=True)
    text = plan.to_json()
    if args.save_mapping:
        Path(args.save_mapping).write_text(text, encoding="utf-8")
        where = f"It is saved in {args.save_mapping}; "
    else:
        where = "Save it (e.g. as mapping.json, or with --save-mapping FILE); "
    print(
        f"Rudder read {args.data} with this mapping. {where}next time pass --mapping FILE "
        "to read the folder the same way, or change it first.",
        file=sys.stderr,
    )
    for p in notes.problems:
        print(f"- [{p.severity}] {p}", file=sys.stderr)
    print(text, file=sys.stderr, end="")
    return plan


def _note_set_aside(
    report: ValidationReport, args: argparse.Namespace, *, done: str = "left out"
) -> None:
    """Say on stderr how many rows were set aside while loading, and how to see which and why.

    Parameters
    ----------
    report : ValidationReport
        The loaded book's report; nothing is said when no row was set aside.
    args : argparse.Namespace
        The command's source options: the ``load`` command to run names the same ones.
    done : str
        What became of the rows ("left out", "not copied").
    """
    n = report.rejected_rows
    if not n:
        return
    source = f"--data {shlex.quote(str(args.data))}" if args.data else "--url URL"
    if args.data and args.date_order != "auto":
        source += f" --date-order {args.date_order}"
    if args.data and getattr(args, "save_mapping", None):
        source += f" --mapping {shlex.quote(str(args.save_mapping))}"
    elif args.data and getattr(args, "mapping", None):
        source += f" --mapping {shlex.quote(str(args.mapping))}"
    elif args.data and getattr(args, "guess", False):
        source += " --guess"
    print(
        f"{n:,} row{'s were' if n != 1 else ' was'} set aside while loading and {done}; "
        f"`python -m insight_engine load {source}` lists each with what to fix.",
        file=sys.stderr,
    )


def _cmd_rank(args: argparse.Namespace) -> int:
    from insight_engine.analysis.engine import analyze

    book = _load(args)
    _note_set_aside(book.report, args)
    analysis = analyze(book, model_dir=None if args.no_save else MODEL_DIR_DEFAULT)
    ranked = analysis.ranked.head(args.top) if args.top else analysis.ranked
    names = book.accounts.set_index("account_id")["account_name"]
    if args.format == "json":
        from insight_engine.outputs.export import ranked_json

        print(
            ranked_json(
                ranked,
                analysis.signals,
                names=names,
                as_of=book.as_of,
                ranked_by=analysis.model.kind,
            )
        )
    elif args.format == "csv":
        out = ranked.assign(
            account_name=ranked["account_id"].map(names), reasons=ranked["reasons"].str.join("; ")
        )
        print(
            out[["account_id", "account_name", "score", "motion", "headline", "reasons"]].to_csv(
                index=False
            ),
            end="",
        )
    else:
        print(f"As of {book.as_of:%Y-%m-%d}. {analysis.ranked_by}")
        for i, r in enumerate(ranked.itertuples(), start=1):
            print(
                f"{i:>3}. {r.score:5.1f}  {names.get(r.account_id, r.account_id)} ({r.account_id})  [{r.motion_label}]"
            )
            print(f"       {r.headline}")
            if r.reasons:
                print(f"       why: {'; '.join(r.reasons)}")
    return 0


def _cmd_draft(args: argparse.Namespace) -> int:
    from insight_engine.analysis.engine import analyze
    from insight_engine.config import Config
    from insight_engine.outputs.claude import draft_insight
    from insight_engine.outputs.draft import build_context

    book = _load(args)
    _note_set_aside(book.report, args)
    analysis = analyze(book, model_dir=None)
    try:
        ctx = build_context(book, analysis, args.account, args.motion)
    except KeyError as exc:
        print(f"error: {exc.args[0]}", file=sys.stderr)
        return 2
    config = Config.from_env()  # the same names and defaults as the app
    for problem in config.problems:
        print(f"warning: {problem}", file=sys.stderr)
    drafts = draft_insight(
        ctx,
        api_key=config.anthropic_api_key,
        model=config.claude_model,
        timeout=config.claude_timeout,
    )
    audiences = list(AUDIENCES) if args.audience == "all" else [args.audience]
    if args.format == "json":
        out = drafts.to_dict()
        out["drafts"] = {a: out["drafts"][a] for a in audiences}
        print(json.dumps(out, indent=2))
    else:
        if drafts.notice:
            print(f"({drafts.notice})\n")
        for a in audiences:
            print(f"===== {a} =====")
            print(drafts[a].text)
            if drafts[a].flags:
                print(f"[check: {', '.join(drafts[a].flags)} not found in the evidence]")
            print()
    return 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    import tempfile

    from insight_engine.devtools.evaluation import evaluate_demo

    with tempfile.TemporaryDirectory() as tmp:
        result = evaluate_demo(args.accounts, args.seed, Path(tmp), product=args.product)
    print(json.dumps(result, indent=2))
    return 0


def _cmd_to_sql(args: argparse.Namespace) -> int:
    """Copy a folder into a database, read as ``load --data`` reads it; with ``--weekly``, also
    (or only, without ``--data``) build the weekly table a load reads instead of the daily rows."""
    from insight_engine.book import warehouse

    if args.print_sql:
        import pandas as pd

        if args.url or args.data:
            print(
                "to-sql --print-sql connects to nothing: leave out --url and --data.",
                file=sys.stderr,
            )
            return 2
        try:
            warehouse.dialect(args.print_sql)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        as_of = pd.Timestamp(args.as_of or "today").normalize()
        usage = warehouse.usage_table()
        for name, query in warehouse.weekly_build_queries(
            usage, args.print_sql, as_of=as_of, weeks=args.weeks
        ).items():
            print(f"-- {name} (as of {as_of:%Y-%m-%d}, {args.weeks} weeks)")
            print(warehouse.compile_sql(query, args.print_sql) + ";\n")
        return 0
    if not args.url or (args.data is None and not args.weekly):
        print(
            "Give --url URL and --data DIR (a folder to copy), --weekly (build the weekly table "
            "from the usage already there), or both.",
            file=sys.stderr,
        )
        return 2
    if args.data is not None:
        from insight_engine.book.loader import write_sql

        report = write_sql(
            args.data, args.url, date_order=args.date_order, mapping=_mapping(args), guess=False
        )
        print(f"Copied {args.data} into the database. {report.summary()}")
        _note_set_aside(report, args, done="not copied")
    if args.weekly:
        import sqlalchemy as sa

        engine = sa.create_engine(args.url)  # writable (a load's engine is read-only on SQLite)
        try:
            built = warehouse.build_weekly(engine, as_of=args.as_of, weeks=args.weeks)
        finally:
            engine.dispose()
        print(
            f"Built {warehouse.WEEKLY}: {built['weekly_rows']:,} rows (accounts x metrics x weeks) "
            f"from {built['usage_rows']:,} daily rows, as of {built['as_of']}, {built['weeks']} "
            "weeks. A load as of that date reads it instead of the daily rows; rebuild it when "
            "new usage lands."
        )
    return 0


def docs_markdown(part: str) -> str:
    """README sections generated from the code: the data contract, the detectors, the settings."""
    lines: list[str] = []
    if part == "contract":
        from insight_engine.source.contract import SOURCES, TABLES

        for name, spec in {**TABLES, **SOURCES}.items():
            kind = "required" if spec.required else "optional"
            kind += ", an export read into the tables above" if name in SOURCES else ""
            lines += [
                f"#### `{name}` ({kind})",
                "",
                spec.description,
                "",
                "| column | required | type | meaning |",
                "|---|---|---|---|",
            ]
            for c in spec.columns:
                kind = {"id": "text (id)", "choice": "one of: " + ", ".join(c.choices)}.get(
                    c.kind, c.kind
                )
                lines.append(
                    f"| `{c.name}` | {'yes' if c.required else 'no'} | {kind} | {c.description} |"
                )
            lines.append("")
    elif part == "detectors":
        from insight_engine.analysis.detector import DETECTORS, MOTION_LABELS

        lines += ["| detector | motion | fires when |", "|---|---|---|"]
        lines += [
            f"| `{name}` | {MOTION_LABELS[d.motion]} | {d.description} |"
            for name, d in DETECTORS.items()
        ]
    elif part == "settings":
        from insight_engine.settings import describe_settings

        lines += ["| section | setting | default | what it does |", "|---|---|---|---|"]
        lines += [
            f"| {r['section']} | `{r['name']}` | {r['value']} | {r['doc']} |"
            for r in describe_settings()
        ]
    return "\n".join(lines) + "\n"


def _cmd_docs(args: argparse.Namespace) -> int:
    print(docs_markdown(args.part), end="")
    return 0


def _add_source(parser: argparse.ArgumentParser, *, to_sql: bool = False) -> None:
    """The options that say where a command's data comes from (or, for ``to-sql``, goes)."""
    parser.add_argument("--data", type=Path, help="A folder of contract files.")
    parser.add_argument(
        "--url",
        help="The database to write to." if to_sql else "SQLAlchemy URL instead of a folder.",
    )
    parser.add_argument(
        "--as-of",
        dest="as_of",
        default=None,
        help="The weekly table's last day (YYYY-MM-DD; default: the last usage date)."
        if to_sql
        else "This week's last day (YYYY-MM-DD).",
    )
    parser.add_argument(
        "--date-order",
        dest="date_order",
        default="auto",
        choices=DATE_ORDERS,
        help="How to read dates such as 03/04/2025 in the folder's files "
        "(auto: refuse to guess; a database's dates are typed).",
    )
    parser.add_argument(
        "--mapping",
        type=Path,
        default=None,
        help="A saved mapping (JSON, downloaded from Data & settings or written by "
        "--save-mapping): which table each file holds and which column is which.",
    )
    parser.add_argument(
        "--guess",
        action="store_true",
        help="Read raw exports as the upload step suggests (table from the file's name or "
        "columns, columns from tools' headers and values) and print the mapping used.",
    )
    parser.add_argument(
        "--save-mapping",
        dest="save_mapping",
        type=Path,
        default=None,
        help="With --guess: write the mapping used to this file.",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m insight_engine", description="Rudder's insight engine."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="Generate a seeded demo book.")
    demo.add_argument("--accounts", type=int, default=600)
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--days", type=int, default=365)
    demo.add_argument("--as-of", dest="as_of", default=None, help="Last day of usage (YYYY-MM-DD).")
    demo.add_argument("--out", type=Path, required=True)
    demo.add_argument(
        "--product",
        default="seo",
        choices=sorted(PRODUCTS),
        help="The demo product: seo (market intelligence) or projects (project management).",
    )
    demo.set_defaults(func=_cmd_demo)
    ensure = sub.add_parser(
        "ensure-demo", help="Generate the bundled demo book in data/demo if missing."
    )
    ensure.add_argument("--out", type=Path, default=None)
    ensure.set_defaults(func=_cmd_ensure_demo)
    load = sub.add_parser("load", help="Validate a data folder or database and print the report.")
    _add_source(load)
    load.add_argument("--format", default="text", choices=["text", "json"])
    load.set_defaults(func=_cmd_load)
    rank = sub.add_parser("rank", help="The ranked book: score, motion, headline and reasons.")
    _add_source(rank)
    rank.add_argument("--top", type=int, default=None)
    rank.add_argument("--format", default="table", choices=["table", "csv", "json"])
    rank.add_argument(
        "--no-save", action="store_true", help="Do not save the fitted model under data/models."
    )
    rank.set_defaults(func=_cmd_rank)
    draft = sub.add_parser(
        "draft", help="Draft the insight for an account's top signal (or a motion)."
    )
    _add_source(draft)
    draft.add_argument("--account", required=True)
    draft.add_argument(
        "--motion",
        default=None,
        choices=list(MOTIONS),
    )
    draft.add_argument("--audience", default="all", choices=[*AUDIENCES, "all"])
    draft.add_argument("--format", default="text", choices=["text", "json"])
    draft.set_defaults(func=_cmd_draft)
    evaluate = sub.add_parser(
        "evaluate", help="Detector precision/recall and model AUC on a fresh demo book."
    )
    evaluate.add_argument("--accounts", type=int, default=600)
    evaluate.add_argument("--seed", type=int, default=2024)
    evaluate.add_argument("--product", default="seo", choices=sorted(PRODUCTS))
    evaluate.set_defaults(func=_cmd_evaluate)
    docs = sub.add_parser("docs", help="Print README tables generated from the code.")
    docs.add_argument("part", choices=["contract", "detectors", "settings"])
    docs.set_defaults(func=_cmd_docs)
    to_sql = sub.add_parser(
        "to-sql", help="Copy a data folder into a SQL database, read as `load --data` reads it."
    )
    _add_source(to_sql, to_sql=True)
    to_sql.add_argument(
        "--weekly",
        action="store_true",
        help="Build the weekly table (usage_weekly, integer keys) that a load reads instead of "
        "the daily rows; without --data, from the usage table already in the database.",
    )
    to_sql.add_argument("--weeks", type=int, default=52, help="Weeks in the weekly table.")
    to_sql.add_argument(
        "--print-sql",
        dest="print_sql",
        default=None,
        metavar="DIALECT",
        help="Print the SQL that fills the weekly table for a warehouse (postgresql, snowflake, "
        "bigquery, databricks, redshift, trino, sqlite), e.g. to define it as a materialised "
        "view there; connects to nothing.",
    )
    to_sql.set_defaults(func=_cmd_to_sql)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "command", None) in ("load", "rank", "draft") and not (args.data or args.url):
        print("Give --data DIR or --url URL.", file=sys.stderr)
        return 2
    try:
        return int(args.func(args))
    except RudderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        report = getattr(exc, "report", None)
        if report is not None:
            for p in report.errors:
                print(f"- {p}", file=sys.stderr)
        return 2
