"""Command line: ``python -m insight_engine demo|ensure-demo|load|to-sql``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from insight_engine.errors import RudderError

__all__ = ["main"]


def _cmd_demo(args: argparse.Namespace) -> int:
    from insight_engine.demo import DEMO_AS_OF, generate_demo, write_demo

    book = generate_demo(args.accounts, args.seed, as_of=args.as_of or DEMO_AS_OF, days=args.days)
    out = write_demo(book, args.out)
    print(
        f"Wrote a demo book of {args.accounts:,} accounts ({book.usage.num_rows:,} usage rows) to {out}"
    )
    return 0


def _cmd_ensure_demo(args: argparse.Namespace) -> int:
    from insight_engine.loader import DEFAULT_DEMO_DIR, ensure_demo

    path = ensure_demo(args.out or DEFAULT_DEMO_DIR)
    print(f"Demo book ready in {path}")
    return 0


def _cmd_load(args: argparse.Namespace) -> int:
    """Validate a folder or database and print the report (exit 1 if anything was set aside)."""
    from insight_engine.loader import load_folder, load_sql

    book = (
        load_sql(args.url, as_of=args.as_of)
        if args.url
        else load_folder(args.data, as_of=args.as_of, date_order=args.date_order)
    )
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
            f"As of {book.as_of:%Y-%m-%d}: {len(book.accounts):,} accounts, {book.weekly.shape[1]} weeks, "
            f"{book.weekly.shape[2]} metrics."
        )
        for p in report.problems:
            print(f"- [{p.severity}] {p}")
    return 1 if report.rejected_rows else 0


def _cmd_to_sql(args: argparse.Namespace) -> int:
    from insight_engine.loader import write_sql

    write_sql(args.data, args.url)
    print(f"Copied {args.data} into the database.")
    return 0


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
    demo.set_defaults(func=_cmd_demo)
    ensure = sub.add_parser(
        "ensure-demo", help="Generate the bundled demo book in data/demo if missing."
    )
    ensure.add_argument("--out", type=Path, default=None)
    ensure.set_defaults(func=_cmd_ensure_demo)
    load = sub.add_parser("load", help="Validate a data folder or database and print the report.")
    load.add_argument("--data", type=Path, default=None)
    load.add_argument("--url", default=None, help="SQLAlchemy URL instead of a folder.")
    load.add_argument("--as-of", dest="as_of", default=None)
    load.add_argument(
        "--date-order",
        dest="date_order",
        default="auto",
        choices=["auto", "day_first", "month_first"],
    )
    load.add_argument("--format", default="text", choices=["text", "json"])
    load.set_defaults(func=_cmd_load)
    to_sql = sub.add_parser("to-sql", help="Copy a data folder into a SQL database.")
    to_sql.add_argument("--data", type=Path, required=True)
    to_sql.add_argument("--url", required=True)
    to_sql.set_defaults(func=_cmd_to_sql)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "command", None) == "load" and not (args.data or args.url):
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
