"""Verification plots (matplotlib, Agg; no pyplot state, safe in servers and worker threads).

* :func:`plot_skill_by_lead`: RMSE by lead hour for every method [µg/m³] and, when a reference is
  present, the skill of every method against it.
* :func:`plot_reliability`: nominal quantile level against the observed frequency of
  ``observed ≤ quantile``, with the diagonal of perfect reliability.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from configs.schema import POLLUTANT_LABELS
from forecast.verification.hindcast import REFERENCE_METHODS

logger = logging.getLogger(__name__)

_STYLE = {
    "forecast": ("#1f77b4", "-"),
    "persistence": ("#ff7f0e", "--"),
    "climatology": ("#2ca02c", ":"),
    "ctm": ("#d62728", "-."),
}
_DPI = 120
_SKILL_FLOOR = -2.0


def _label(pollutant: str) -> str:
    return POLLUTANT_LABELS.get(pollutant, pollutant)


def _save(figure: Figure, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    FigureCanvasAgg(figure)
    figure.savefig(path, dpi=_DPI)
    logger.info("plot written to %s", path)
    return path


def plot_skill_by_lead(by_lead: pd.DataFrame, pollutant: str, path: str | Path, *, pairing: str | None = None) -> Path:
    """RMSE by lead hour of every method for one pollutant (plus skill against a reference).

    Parameters
    ----------
    by_lead
        :func:`~forecast.verification.continuous.continuous_scores` table with ``by="lead"``
        (``VerificationReport.by_lead``).
    pollutant
        Pollutant key, e.g. ``"pm25"``.
    path
        PNG file to write (folders are created).
    pairing
        ``"common"`` or ``"own"`` when the table holds both (default: common if present).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    rows = by_lead[(by_lead["pollutant"] == pollutant) & (by_lead["group_kind"] == "lead")]
    if rows.empty:
        raise ValueError(f"by_lead has no lead-hour rows for pollutant {pollutant!r}")
    if pairing is None:
        pairing = "common" if "common" in set(rows["pairing"]) else str(rows["pairing"].iloc[0])
    rows = rows[rows["pairing"] == pairing].assign(lead=lambda t: t["group"].astype(int)).sort_values("lead")
    methods = list(pd.unique(rows["method"]))
    reference = next((r for r in REFERENCE_METHODS if f"skill_vs_{r}" in rows.columns and r in methods), None)
    figure = Figure(figsize=(9, 6.5 if reference else 4.5), layout="constrained")
    axes = figure.subplots(2 if reference else 1, 1, sharex=True, squeeze=False)[:, 0]
    for method in methods:
        one = rows[rows["method"] == method]
        colour, line = _STYLE.get(method, (None, "-"))
        axes[0].plot(one["lead"], one["rmse"], line, color=colour, lw=1.8, label=method)
        if reference and method != reference:
            axes[1].plot(one["lead"], one[f"skill_vs_{reference}"], line, color=colour, lw=1.8, label=method)
    axes[0].set_ylabel("RMSE [µg/m³]")
    axes[0].set_ylim(bottom=0)
    axes[0].legend(title="method", loc="upper left", fontsize=9)
    axes[0].set_title(f"{_label(pollutant)}: hourly RMSE by lead ({pairing} pairs, pooled over stations and issues)")
    if reference:
        axes[1].axhline(0.0, color="grey", lw=1)
        skill = rows.loc[rows["method"] != reference, f"skill_vs_{reference}"]
        lowest = float(skill.min()) if skill.notna().any() else 0.0
        clipped = lowest < _SKILL_FLOOR
        axes[1].set_ylim(max(lowest, _SKILL_FLOOR) - 0.05, 1.05)
        note = f" (clipped at {_SKILL_FLOOR:g})" if clipped else ""
        axes[1].set_ylabel(f"skill vs {reference} [1]{note}\n1 − MSE / MSE$_{{ref}}$")
        axes[1].legend(loc="lower left", fontsize=9)
    for ax in axes:
        for edge in (24.5, 48.5):
            ax.axvline(edge, color="0.8", lw=0.8, zorder=0)
        ax.grid(alpha=0.3)
    axes[-1].set_xlabel("lead time [h]")
    axes[-1].set_xlim(rows["lead"].min() - 0.5, rows["lead"].max() + 0.5)
    return _save(figure, path)


def plot_reliability(reliability: pd.DataFrame, path: str | Path, *, group_kind: str | None = None) -> Path:
    """Nominal quantile level against the observed frequency of ``observed ≤ quantile``.

    Parameters
    ----------
    reliability
        :func:`~forecast.verification.probabilistic.reliability_table` output.
    path
        PNG file to write.
    group_kind
        Rows to draw: ``"all"`` (one line per pollutant; default when present), ``"window"`` or
        ``"lead"`` (one line per pollutant and group).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    if reliability.empty:
        raise ValueError("the reliability table is empty (the hindcast had no quantile columns)")
    if group_kind is None:
        group_kind = "all" if "all" in set(reliability["group_kind"]) else str(reliability["group_kind"].iloc[0])
    rows = reliability[reliability["group_kind"] == group_kind]
    figure = Figure(figsize=(5.5, 5.5), layout="constrained")
    ax = figure.subplots()
    ax.plot([0, 1], [0, 1], color="grey", lw=1, ls="--", label="perfect reliability")
    for (pollutant, group), one in rows.groupby(["pollutant", "group"], sort=False):
        one = one.sort_values("nominal")
        label = _label(pollutant) if group_kind == "all" else f"{_label(pollutant)} {group}"
        ax.plot(one["nominal"], one["observed_frequency"], "o-", lw=1.6, label=f"{label} (n={int(one['n'].max())})")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_aspect("equal")
    ax.set_xlabel("nominal quantile level τ [1]")
    ax.set_ylabel("observed frequency of observation ≤ q$_τ$ [1]")
    ax.set_title("Reliability of forecast quantiles")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    return _save(figure, path)
