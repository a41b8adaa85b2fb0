"""Command line: ``python -m insight_engine demo|ensure-demo|load|to-sql``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from insight_engine.errors import RudderError

MODEL_DIR_DEFAULT = Path(__file__).resolve().parent.parent / "data" / "models"

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


def _load(args: argparse.Namespace):
    from insight_engine.loader import load_folder, load_sql

    if getattr(args, "url", None):
        return load_sql(args.url, as_of=args.as_of)
    return load_folder(args.data, as_of=args.as_of)


def _cmd_rank(args: argparse.Namespace) -> int:
    from insight_engine.engine import analyze

    book = _load(args)
    analysis = analyze(book, model_dir=None if args.no_save else MODEL_DIR_DEFAULT)
    ranked = analysis.ranked.head(args.top) if args.top else analysis.ranked
    names = book.accounts.set_index("account_id")["account_name"]
    if args.format == "json":
        from insight_engine.detector import signal_records

        rows = [
            {
                "account_id": r.account_id,
                "account_name": names.get(r.account_id),
                "score": float(r.score),
                "motion": r.motion,
                "headline": r.headline,
                "reasons": list(r.reasons),
                "signals": [
                    {
                        k: s[k]
                        for k in (
                            "motion",
                            "detector",
                            "headline",
                            "strength",
                            "evidence",
                            "goal",
                            "action",
                            "audience",
                            "why_now",
                        )
                    }
                    for s in signal_records(analysis.signals, r.account_id)
                ],
            }
            for r in ranked.itertuples()
        ]
        print(
            json.dumps(
                {
                    "as_of": f"{book.as_of:%Y-%m-%d}",
                    "ranked_by": analysis.model.kind,
                    "accounts": rows,
                },
                indent=2,
                default=str,
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
    import os

    from insight_engine.claude import draft_insight
    from insight_engine.draft import build_context
    from insight_engine.engine import analyze

    book = _load(args)
    analysis = analyze(book, model_dir=None)
    try:
        ctx = build_context(book, analysis, args.account, args.motion)
    except KeyError as exc:
        print(f"error: {exc.args[0]}", file=sys.stderr)
        return 2
    drafts = draft_insight(
        ctx,
        api_key=os.environ.get("ANTHROPIC_API_KEY"),
        model=os.environ.get("RUDDER_CLAUDE_MODEL"),
    )
    audiences = ["admin", "champion", "executive"] if args.audience == "all" else [args.audience]
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

    from insight_engine.evaluation import evaluate_demo

    with tempfile.TemporaryDirectory() as tmp:
        result = evaluate_demo(args.accounts, args.seed, Path(tmp))
    print(json.dumps(result, indent=2))
    return 0


def _cmd_to_sql(args: argparse.Namespace) -> int:
    from insight_engine.loader import write_sql

    write_sql(args.data, args.url)
    print(f"Copied {args.data} into the database.")
    return 0


def docs_markdown(part: str) -> str:
    """README sections generated from the code: the data contract, the detectors, the settings."""
    lines: list[str] = []
    if part == "contract":
        from insight_engine.contract import TABLES

        for name, spec in TABLES.items():
            lines += [
                f"#### `{name}` ({'required' if spec.required else 'optional'})",
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
        from insight_engine.detector import DETECTORS, MOTION_LABELS

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
    rank = sub.add_parser("rank", help="The ranked book: score, motion, headline and reasons.")
    rank.add_argument("--data", type=Path, default=None)
    rank.add_argument("--url", default=None, help="SQLAlchemy URL instead of a folder.")
    rank.add_argument("--as-of", dest="as_of", default=None)
    rank.add_argument("--top", type=int, default=None)
    rank.add_argument("--format", default="table", choices=["table", "csv", "json"])
    rank.add_argument(
        "--no-save", action="store_true", help="Do not save the fitted model under data/models."
    )
    rank.set_defaults(func=_cmd_rank)
    draft = sub.add_parser(
        "draft", help="Draft the insight for an account's top signal (or a motion)."
    )
    draft.add_argument("--data", type=Path, default=None)
    draft.add_argument("--url", default=None, help="SQLAlchemy URL instead of a folder.")
    draft.add_argument("--as-of", dest="as_of", default=None)
    draft.add_argument("--account", required=True)
    draft.add_argument(
        "--motion",
        default=None,
        choices=["win", "feature", "better_practice", "stall", "risk", "expansion"],
    )
    draft.add_argument(
        "--audience", default="all", choices=["admin", "champion", "executive", "all"]
    )
    draft.add_argument("--format", default="text", choices=["text", "json"])
    draft.set_defaults(func=_cmd_draft)
    evaluate = sub.add_parser(
        "evaluate", help="Detector precision/recall and model AUC on a fresh demo book."
    )
    evaluate.add_argument("--accounts", type=int, default=600)
    evaluate.add_argument("--seed", type=int, default=2024)
    evaluate.set_defaults(func=_cmd_evaluate)
    docs = sub.add_parser("docs", help="Print README tables generated from the code.")
    docs.add_argument("part", choices=["contract", "detectors", "settings"])
    docs.set_defaults(func=_cmd_docs)
    to_sql = sub.add_parser("to-sql", help="Copy a data folder into a SQL database.")
    to_sql.add_argument("--data", type=Path, required=True)
    to_sql.add_argument("--url", required=True)
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
