"""Errors for bad input, shared by every stage so that the CLI reports them the same way."""

from __future__ import annotations

from pathlib import Path


class InputFileError(ValueError):
    """A file cannot be used. Names the file, and the row and column where known, and why.

    ``row`` is the 1-based line number in the file as a person sees it (header = line 1) where the
    format has lines; ``column`` is the column name.
    """

    def __init__(self, path: Path | str, reason: str, *, row: int | None = None, column: str | None = None):
        self.path = Path(path)
        self.reason = reason
        self.row = row
        self.column = column
        where = [str(self.path)]
        if row is not None:
            where.append(f"line {row}")
        if column is not None:
            where.append(f"column {column!r}")
        super().__init__(f"{': '.join([', '.join(where), reason])}")
