"""Files added in the upload step: one per name, and never one dropped without a word."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from insight_engine.source.validation import DateOrder

__all__ = ["UploadedFile", "merge_uploads"]


def merge_uploads(
    files: Mapping[str, bytes], added: Iterable[tuple[str, bytes]]
) -> tuple[dict[str, bytes], list[str]]:
    """The upload step's files after ``added``: a new name joins, a known name is replaced.

    Two files of the same name added at once (from two folders) cannot both be kept, since
    the name is how the step and the saved mapping refer to a file: the last one is kept and
    a note says so; two identical copies are one file, silently.

    Parameters
    ----------
    files : mapping of str to bytes
        The files already in the step, by name.
    added : iterable of (name, bytes)
        The files just added, in the order the browser sent them.

    Returns
    -------
    files : dict of str to bytes
    notes : list of str
        What the user should know (a name added twice, a file replaced).
    """
    out = dict(files)
    notes: list[str] = []
    seen: dict[str, bytes] = {}
    for name, data in added:
        if name in seen and seen[name] != data:
            notes.append(
                f"Two different files named {name} were added at once; Rudder kept the last "
                "one. Rename one of them and add it again to use both."
            )
        elif name in out and name not in seen and out[name] != data:
            notes.append(f"{name} replaced the file of the same name added before.")
        seen[name] = data
        out[name] = data
    return out, notes


@dataclass
class UploadedFile:
    """A file the user uploaded, the table it holds, and the confirmed column mapping."""

    name: str
    data: bytes
    table: str | None = None
    mapping: dict[str, str] | None = None  # user column -> contract column
    date_order: DateOrder = "auto"
    # Choice columns: contract column -> {the user's value: a contract choice, or "" for blank},
    # for values the validator would not recognise (e.g. tier "Professional" -> "Enterprise").
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    # Columns the file lacks, filled with one value for every row (an NPS tool's kind: nps).
    constants: dict[str, str] = field(default_factory=dict)
    # Whether the file has a header row; None: Rudder looks (a first row of dates or numbers
    # is data, and the columns are named "column 1", "column 2", ...).
    header: bool | None = None
