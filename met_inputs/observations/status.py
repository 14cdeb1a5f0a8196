"""Per station × pollutant (or met variable) summary of what the archive holds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from met_inputs.observations.qc import QCFlag, passes_qc

STATUS_COLUMNS = [
    "first",
    "last",
    "rows",
    "hours_present",
    "expected_hours",
    "completeness_pct",
    "valid_hours",
    "valid_pct",
]


def summarise(frame: pd.DataFrame, name_column: str) -> pd.DataFrame:
    """Summary of a long archive frame.

    Parameters
    ----------
    frame : pandas.DataFrame
        Columns ``station_id, time, <name_column>, value, qc_flag, source_file``.
    name_column : str
        ``pollutant`` or ``variable``.

    Returns
    -------
    pandas.DataFrame
        One row per (``station_id``, ``name_column``): ``first``/``last`` hour-ending UTC times;
        ``rows`` stored; ``hours_present`` with a value; ``expected_hours`` = hours from first to
        last inclusive; ``completeness_pct`` = 100 × hours_present / expected_hours;
        ``valid_hours`` with a value passing QC; ``valid_pct`` = 100 × valid_hours / hours_present;
        one column per :class:`QCFlag` name with the number of rows carrying it; ``source_files``
        (file names, ``;``-joined).
    """
    keys = ["station_id", name_column]
    if frame.empty:
        return pd.DataFrame(columns=[*keys, *STATUS_COLUMNS, *[f.name for f in QCFlag], "source_files"])
    qc = frame["qc_flag"].to_numpy(dtype=np.int64)
    has = frame["value"].notna().to_numpy()
    work = frame[keys].assign(
        time=frame["time"],
        present=has,
        valid=has & passes_qc(qc),
        **{flag.name: (qc & int(flag)) != 0 for flag in QCFlag},
    )
    grouped = work.groupby(keys, sort=True, observed=True)
    out = grouped.agg(
        first=("time", "min"),
        last=("time", "max"),
        rows=("time", "size"),
        hours_present=("present", "sum"),
        valid_hours=("valid", "sum"),
        **{flag.name: (flag.name, "sum") for flag in QCFlag},
    )
    out["expected_hours"] = ((out["last"] - out["first"]) / pd.Timedelta(hours=1)).astype(int) + 1
    out["completeness_pct"] = 100.0 * out["hours_present"] / out["expected_hours"]
    out["valid_pct"] = 100.0 * out["valid_hours"] / out["hours_present"].where(out["hours_present"] > 0)
    files = frame["source_file"].astype("category")
    pairs = frame[keys].assign(source_file=files.cat.codes).drop_duplicates()
    pairs["source_file"] = pairs["source_file"].map(
        lambda code: Path(files.cat.categories[code]).name if code >= 0 else ""
    )
    out["source_files"] = pairs.groupby(keys, observed=True)["source_file"].agg(
        lambda s: ";".join(sorted(set(s)))
    )
    out = out.reset_index()
    out["station_id"] = out["station_id"].astype(str)
    return out[[*keys, *STATUS_COLUMNS, *[f.name for f in QCFlag], "source_files"]]
