"""Rich tables shared by the training and verification commands."""

from __future__ import annotations

import math

import pandas as pd
from rich.table import Table

from configs.schema import POLLUTANT_LABELS


def _fmt(value, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value):
        return "-"
    return f"{value:.{digits}f}"


def skill_table(summary: pd.DataFrame, title: str) -> Table:
    """Window-mean RMSE of every method side by side, with the model's ratios to the references."""
    table = Table(title=title, title_justify="left")
    rmse_columns = [c for c in summary.columns if c.startswith("rmse_") and not c.startswith("rmse_ratio")]
    ratio_columns = [c for c in summary.columns if c.startswith("rmse_ratio_vs_")]
    methods = set(summary["method"]) if "method" in summary else set()
    whose = f"{next(iter(methods))} " if len(methods) == 1 and len(rmse_columns) > 3 else ""
    for name in ["pollutant", "window", "n", *rmse_columns, *ratio_columns]:
        label = name.replace("rmse_ratio_vs_", f"{whose}ratio vs ").replace("rmse_", "RMSE ")
        table.add_column(label, justify="left" if name in ("pollutant", "window") else "right")
    for _, row in summary.iterrows():
        table.add_row(
            POLLUTANT_LABELS.get(row["pollutant"], str(row["pollutant"])),
            str(row["window"]),
            str(row["n"]),
            *(_fmt(row[c]) for c in rmse_columns),
            *(_fmt(row[c], 2) for c in ratio_columns),
        )
    table.caption = "24 h-window means [µg/m³], common pairs; ratio < 1 = better than the reference"
    return table


def category_table(categories: pd.DataFrame, method: str = "forecast") -> Table:
    """Daily VN_AQI categorical scores of one method per pollutant and day."""
    table = Table(title=f"Daily VN_AQI categories ({method})", title_justify="left")
    columns = [
        "pollutant", "day", "n", "accuracy", "accuracy_within_1", "pod_ge101", "far_ge101", "csi_ge101", "pod_ge151",
        "far_ge151", "csi_ge151",
    ]  # fmt: skip
    present = [c for c in columns if c in categories.columns]
    labels = {"accuracy": "exact", "accuracy_within_1": "±1 cat."}
    labels |= {f"{s}_ge{t}": f"{s.upper()}≥{t}" for s in ("pod", "far", "csi") for t in (101, 151)}
    for name in present:
        table.add_column(labels.get(name, name), justify="left" if name in ("pollutant", "day") else "right")
    rows = categories[categories["method"] == method] if "method" in categories else categories
    for _, row in rows.iterrows():
        table.add_row(*(str(row[c]) if c in ("pollutant", "day", "n") else _fmt(row[c], 2) for c in present))
    return table


def weights_table(weights: pd.DataFrame) -> Table:
    """A blend's weights per pollutant and lead block (:meth:`forecast.blend.ModelBlend.weight_table`)."""
    table = Table(title="Blend weights (fitted on the validation block)", title_justify="left")
    components = [c for c in weights.columns if c not in ("pollutant", "block")]
    for name in ["pollutant", "block", *components]:
        table.add_column(name, justify="left" if name in ("pollutant", "block") else "right")
    for _, row in weights.iterrows():
        table.add_row(
            POLLUTANT_LABELS.get(row["pollutant"], str(row["pollutant"])),
            str(row["block"]),
            *(_fmt(row[c], 2) for c in components),
        )
    return table
