"""What loading found: one :class:`Problem` per thing wrong, and the :class:`ValidationReport`.

Every problem names the file, the row as a spreadsheet shows it (header = row 1), the column,
the bad value and what to do. Every part of loading (reading, mapping, events, billing,
validation) reports through these two, so they sit below all of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

from insight_engine.fmt import plural

__all__ = ["MAX_LISTED_PER_KIND", "PROBLEM_COLUMNS", "Problem", "Severity", "ValidationReport"]

Severity = Literal["error", "warning", "info"]

PROBLEM_COLUMNS = ["file", "row", "column", "value", "problem", "fix", "severity"]
# How many row-level problems of one kind in one file are spelled out; all are still counted
# and every rejected row is kept in ``rejected``.
MAX_LISTED_PER_KIND = 200


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, written for the person who owns the file."""

    file: str
    row: int | None
    column: str | None
    value: str | None
    problem: str
    fix: str
    severity: Severity = "error"

    @classmethod
    def about_file(cls, file: str, problem: str, fix: str, severity: Severity = "error") -> Problem:
        """A problem of the whole file (no row, column or value to point at)."""
        return cls(file, None, None, None, problem, fix, severity)

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column '{self.column}'")
        value = f" {self.value!r}:" if self.value not in (None, "") else ""
        return f"{', '.join(where)}:{value} {self.problem}. {self.fix}"


@dataclass
class ValidationReport:
    """Everything found while loading: problems, rejected rows, and counts per file."""

    frames: list[pd.DataFrame] = field(default_factory=list)
    rejected: dict[str, pd.DataFrame] = field(default_factory=dict)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)

    def add(self, problem: Problem) -> None:
        self.frames.append(pd.DataFrame([problem.__dict__], columns=PROBLEM_COLUMNS))

    def add_frame(self, frame: pd.DataFrame) -> None:
        if len(frame):
            self.frames.append(frame[PROBLEM_COLUMNS])

    def extend(self, other: ValidationReport) -> None:
        self.frames.extend(other.frames)
        self.rejected.update(other.rejected)
        self.counts.update(other.counts)

    def to_frame(self) -> pd.DataFrame:
        """All problems as a table (file, row, column, value, problem, fix, severity)."""
        if not self.frames:
            return pd.DataFrame(columns=PROBLEM_COLUMNS)
        out = pd.concat(self.frames, ignore_index=True)
        out["row"] = out["row"].astype("Int64")
        return out

    @property
    def problems(self) -> list[Problem]:
        frame = self.to_frame()
        return [
            Problem(
                file=r.file,
                row=None if pd.isna(r.row) else int(r.row),
                column=None if pd.isna(r.column) else r.column,
                value=None if pd.isna(r.value) else str(r.value),
                problem=r.problem,
                fix=r.fix,
                severity=r.severity,
            )
            for r in frame.itertuples(index=False)
        ]

    def by_severity(self, severity: Severity) -> list[Problem]:
        return [p for p in self.problems if p.severity == severity]

    @property
    def errors(self) -> list[Problem]:
        return self.by_severity("error")

    @property
    def rejected_rows(self) -> int:
        return int(sum(len(f) for f in self.rejected.values()))

    def summary(self) -> str:
        """One line for the top of the report."""
        if not self.counts:
            return "Nothing was loaded."
        read = sum(c.get("read", 0) for c in self.counts.values())
        kept = sum(c.get("kept", 0) for c in self.counts.values())
        rejected = self.rejected_rows
        files = len(self.counts)
        text = f"Read {read:,} rows from {plural(files, 'file')}; {kept:,} loaded"
        if rejected:
            text += f", {rejected:,} set aside with a reason (see the report below; nothing was changed in your files)"
        return text + "."
