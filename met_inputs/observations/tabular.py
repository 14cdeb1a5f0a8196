"""Open a CSV or Parquet file as a table of text cells with line numbers, after checking what it is.

Format detection (:mod:`met_inputs.observations.detect`) looks only at the header this module
returns, never at the file name.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from configs.errors import InputFileError

LINE = "_line"
"""Column added to every table: the 1-based line of the row in the file (header = line 1).

For Parquet it is the data row number + 1, i.e. the line the row would have in the equivalent CSV.
"""

_MAGIC: dict[bytes, str] = {
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"%PDF": "a PDF document",
    b"GRIB": "a GRIB file (NWP/CTM fields are read by met_inputs.sources, not the observation archive)",
    b"CDF\x01": "a NetCDF-3 file",
    b"CDF\x02": "a NetCDF-3 file",
    b"\x89HDF": "a NetCDF-4/HDF5 file",
    b"PK\x03\x04": "a ZIP archive (or an .xlsx workbook; export it as CSV)",
    b"\x1f\x8b": "a gzip archive (decompress it first)",
    b"SQLite format 3": "an SQLite database",
}
_PARQUET_MAGIC = b"PAR1"
_HEAD_BYTES = 64 * 1024


@dataclass(frozen=True)
class Sniffed:
    """What a file is: ``kind`` (``csv``/``parquet``), its header, and the CSV separator."""

    kind: str
    columns: tuple[str, ...]
    sep: str | None = None


def sniff(path: Path) -> Sniffed:
    """Look at the first bytes of ``path``: Parquet, text CSV (which separator), or something else.

    Raises
    ------
    InputFileError
        Missing, empty, binary (naming the kind when the magic bytes are known) or undecodable file.
    """
    if not path.is_file():
        raise InputFileError(path, "no such file")
    with open(path, "rb") as handle:
        head = handle.read(_HEAD_BYTES)
    if not head.strip():
        raise InputFileError(path, "file is empty")
    if head.startswith(_PARQUET_MAGIC):
        import pyarrow.parquet as pq

        try:
            names = pq.read_schema(path).names
        except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for corrupt files
            raise InputFileError(path, f"corrupt Parquet file: {exc}") from exc
        return Sniffed("parquet", tuple(n.strip() for n in names))
    for magic, what in _MAGIC.items():
        if head.startswith(magic):
            raise InputFileError(path, f"not a CSV or Parquet file: the content is {what}")
    if b"\x00" in head:
        raise InputFileError(path, "not a CSV or Parquet file: binary content (NUL bytes)")
    first_line = head.lstrip(b"\r\n").split(b"\n", 1)[0]
    try:
        text = first_line.decode("utf-8-sig").strip("\r\n")
    except UnicodeDecodeError as exc:
        raise InputFileError(
            path, "not a CSV or Parquet file: the header line is not UTF-8 text", row=1
        ) from exc
    sep = _separator(text)
    columns = next(csv.reader(io.StringIO(text), delimiter=sep))
    return Sniffed("csv", tuple(c.strip() for c in columns), sep)


def _separator(header: str) -> str:
    counts = {sep: header.count(sep) for sep in (",", ";", "\t", "|")}
    best = max(counts, key=counts.get)
    return best if counts[best] > 0 else ","


def read_text_table(path: Path, sniffed: Sniffed) -> pd.DataFrame:
    """All cells as stripped strings (``""`` for empty), plus the :data:`LINE` column.

    Blank lines are skipped (their line numbers are still counted). A Parquet file keeps its
    column types (numbers, timestamps); only CSV cells are text.
    """
    if sniffed.kind == "parquet":
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(path).to_pandas()
        except Exception as exc:  # noqa: BLE001
            raise InputFileError(path, f"cannot read Parquet file: {exc}") from exc
        table.columns = [str(c).strip() for c in table.columns]
        if table.empty:
            raise InputFileError(path, "no data rows in the Parquet file")
        table[LINE] = range(2, len(table) + 2)
        return table
    try:
        table = pd.read_csv(
            path,
            sep=sniffed.sep,
            dtype=str,
            keep_default_na=False,
            na_values=[],
            skip_blank_lines=False,
            encoding="utf-8-sig",
            skipinitialspace=True,
        )
    except UnicodeDecodeError as exc:
        raise InputFileError(path, f"not UTF-8 text: {exc.reason} at byte {exc.start}") from exc
    except pd.errors.ParserError as exc:
        raise InputFileError(path, f"malformed CSV: {exc}") from exc
    except pd.errors.EmptyDataError as exc:
        raise InputFileError(path, "file is empty") from exc
    table.columns = [str(c).strip() for c in table.columns]
    table = table.fillna("")
    # Cells keep trailing blanks (leading ones are skipped by the parser); readers strip the text
    # columns they use and numeric_column tolerates them — stripping every cell here costs more
    # than the rest of a read.
    table[LINE] = range(2, len(table) + 2)
    cells = table.drop(columns=LINE)
    blank = cells.iloc[:, 0].str.strip().eq("")
    if blank.any():  # a blank line has every cell empty
        blank[blank] = cells[blank].apply(lambda column: column.str.strip().eq("")).all(axis=1)
    table = table.loc[~blank].reset_index(drop=True)
    if table.empty:
        raise InputFileError(path, "no data rows below the header")
    return table


MISSING_TOKENS: frozenset[str] = frozenset(
    {"", "NA", "na", "N/A", "n/a", "NaN", "nan", "NAN", "null", "NULL", "None", "none", "-"}
)
"""Cells read as missing by :func:`numeric_column`."""


def numeric_column(
    table: pd.DataFrame, column: str, path: Path, *, missing: frozenset[str] = MISSING_TOKENS
) -> pd.Series:
    """Column ``column`` as float64; missing tokens → NaN; anything else non-numeric → error.

    Raises
    ------
    InputFileError
        Naming the first line and the cell that is not a number.
    """
    cells = table[column]
    if pd.api.types.is_numeric_dtype(cells.dtype) and not pd.api.types.is_bool_dtype(cells.dtype):
        return cells.astype("float64")
    text = cells if cells.dtype == object else cells.astype(str)
    is_missing = cells.isna() | text.isin(missing)
    values = pd.to_numeric(text.where(~is_missing, None), errors="coerce")
    bad = values.isna() & ~is_missing
    if bad.any():  # maybe only surrounding blanks: retry those cells stripped
        text = text.copy()
        text[bad] = text[bad].astype(str).str.strip()
        is_missing = is_missing | (bad & text.isin(missing))
        values = pd.to_numeric(text.where(~is_missing, None), errors="coerce")
        bad = values.isna() & ~is_missing
    if bad.any():
        first = bad.idxmax()
        raise InputFileError(
            path, f"value {text[first]!r} is not a number", row=int(table.at[first, LINE]), column=column
        )
    return values.astype("float64")

