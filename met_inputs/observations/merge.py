"""Merging incoming rows into a stored partition: the archive's conflict policy, in one place.

Rows are identified by their key ``(station_id, time, pollutant)`` (``variable`` for met). The
files of one ingest call are applied one after the other (each with :func:`merge_partition`), as
if each were ingested in its own call. Each incoming row falls in exactly one category:

``new``
    The key was not stored: the row is written.
``unchanged``
    Same value as what ends up stored (NaN equals NaN; floats compare with a 1e-9 relative
    tolerance), or a missing value (NaN) where a value is stored — a missing value never erases one.
    Nothing is written; the stored row keeps its flags and provenance.
``filled``
    The stored row had no value (NaN, e.g. a provisional ``-999``) and this row has one: written.
    Provisional feeds first send ``Missing`` and later the value; this is that update.
``conflict``
    A different value for a key that already has one. Without ``replace`` the stored (or first)
    value is kept and the row is only counted and reported; the rest of the file is still
    ingested. (With ``replace`` a conflict is only possible between repeated keys of one file.)
``replaced``
    With ``replace=True``: the row's value overwrote a different stored value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

CATEGORIES: tuple[str, ...] = ("new", "unchanged", "filled", "conflict", "replaced")
WRITES = frozenset({"new", "filled", "replaced"})
ORDER = "_order"
"""Incoming column: global application order (file index, then row); stored rows come first."""


def same_value(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Element-wise equality with NaN == NaN and a 1e-9 relative tolerance."""
    a = np.asarray(a, dtype="float64")
    b = np.asarray(b, dtype="float64")
    both_nan = np.isnan(a) & np.isnan(b)
    with np.errstate(invalid="ignore"):
        close = np.isclose(a, b, rtol=1e-9, atol=1e-12)
    return both_nan | close


def merge_partition(
    stored: pd.DataFrame, incoming: pd.DataFrame, key: list[str], replace: bool
) -> tuple[pd.DataFrame | None, pd.Series]:
    """Apply ``incoming`` rows to the ``stored`` rows of one partition.

    Parameters
    ----------
    stored : pandas.DataFrame
        Rows of the partition as stored (may be empty); one row per key.
    incoming : pandas.DataFrame
        New rows with the same columns plus :data:`ORDER`; may hold a key more than once (files of
        one call that overlap).
    key : list of str
        Key columns.
    replace : bool
        Let a different value overwrite a stored one.

    Returns
    -------
    (pandas.DataFrame or None, pandas.Series)
        The partition to write (one row per key, sorted by ``time`` then the variable column), or
        ``None`` when nothing changes; and the category of each incoming row (index of ``incoming``).
    """
    columns = (
        [c for c in stored.columns if c != ORDER]
        if len(stored)
        else [c for c in incoming.columns if c != ORDER]
    )
    sort_cols = ["time", *[c for c in key if c not in ("time", "station_id")]]
    if not len(stored) and not incoming.duplicated(key).any():  # fast path: a new partition
        out = incoming[columns].sort_values(sort_cols, kind="stable").reset_index(drop=True)
        return out, pd.Series("new", index=incoming.index)
    inc = incoming[columns + [ORDER]].assign(_stored=False)
    if len(stored):
        ex = stored[columns].assign(**{ORDER: -1, "_stored": True})
        rows = pd.concat([ex, inc], ignore_index=True)
    else:  # (concat with an empty frame is slow on all-None object columns)
        rows = inc.reset_index(drop=True)
    rows["_rid"] = np.arange(len(rows))
    rows["_nan"] = rows["value"].isna()
    ordered = rows.sort_values(
        [*key, "_nan", ORDER], ascending=[True] * len(key) + [True, not replace], kind="stable"
    )
    winner = ordered.drop_duplicates(key, keep="first")[[*key, "_rid", "value"]]
    winner = winner.rename(columns={"_rid": "_w_rid", "value": "_w_value"})
    stored_info = rows.loc[rows["_stored"], [*key, "_rid", "value"]].rename(
        columns={"_rid": "_s_rid", "value": "_s_value"}
    )
    winner = winner.merge(stored_info, on=key, how="left")
    has_stored = winner["_s_rid"].notna().to_numpy()
    keep_stored = has_stored & same_value(winner["_w_value"], winner["_s_value"])
    winner.loc[keep_stored, "_w_rid"] = winner.loc[keep_stored, "_s_rid"]
    winner.loc[keep_stored, "_w_value"] = winner.loc[keep_stored, "_s_value"]

    inc_rows = rows.loc[~rows["_stored"], [*key, "_rid", "value"]].merge(winner, on=key, how="left")
    is_winner = (inc_rows["_rid"] == inc_rows["_w_rid"]).to_numpy()
    stored_present = inc_rows["_s_rid"].notna().to_numpy()
    stored_nan = inc_rows["_s_value"].isna().to_numpy()
    agrees = inc_rows["value"].isna().to_numpy() | same_value(inc_rows["value"], inc_rows["_w_value"])
    category = np.select(
        [
            is_winner & ~stored_present,
            is_winner & stored_nan,
            is_winner,
            agrees,
        ],
        ["new", "filled", "replaced", "unchanged"],
        default="conflict",
    )
    # merge() keeps the left order, and the left rows are the incoming rows in order.
    categories = pd.Series(category, index=incoming.index)
    if not np.isin(category, list(WRITES)).any():
        return None, categories
    out = rows.set_index("_rid").loc[winner["_w_rid"].astype(int), columns]
    out = out.sort_values(sort_cols, kind="stable").reset_index(drop=True)
    return out, categories
