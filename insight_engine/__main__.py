"""``python -m insight_engine …`` — the command line (same code the app uses)."""

from insight_engine.cli import main

raise SystemExit(main())
