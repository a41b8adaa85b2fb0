"""The warm "This week" rerun for one book, in its own process (AppTests of several books in
one process interfere through Streamlit's process-wide caches). Prints seconds."""

from __future__ import annotations

import sys
from pathlib import Path

from bench.run import warm_rerun

if __name__ == "__main__":
    print(warm_rerun(Path(sys.argv[1])))
