"""One field from provider form to contract form: units, de-accumulation, checks, attributes."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

import numpy as np
import xarray as xr

from configs.errors import InputFileError
from configs.schema import CF_STANDARD_NAMES, CTM_VARIABLES, NWP_CF_ATTRIBUTES, NWP_VARIABLES, POLLUTANT_LABELS, STEP
from met_inputs.sources._accum import DeaccumulationError, deaccumulate
from met_inputs.sources._units import canonical_units, check_plausible, convert

Kind = Literal["instant", "accum", "avg"]

TARGET_UNITS: Final[dict[str, str]] = {**NWP_VARIABLES, **CTM_VARIABLES}
"""Canonical unit of every variable a reader can return."""
_ATOL: Final[dict[str, float]] = {"tp": 0.05, "ssrd": 2.0, "tcc": 0.01}
"""Tolerated negative interval values from packing noise, in output units [mm], [W m-2], [1]."""
RECORD_FILE: Final = "_file"
"""Per-step coordinate of a :class:`RawField`: the file each step was read from."""
RECORD_INIT: Final = "_init"
"""Per-step coordinate of a :class:`RawField`: the initial time of each step's message or record."""


@dataclass
class RawField:
    """A field as the provider gives it, before units and de-accumulation.

    ``data`` has dims ``(step, [level], latitude, longitude)`` (or ``(step, [level], y, x)``) with
    per-step coordinates :data:`RECORD_INIT` (initial time) and :data:`RECORD_FILE` (source file).
    ``starts`` holds the window start of every step for ``kind`` ``accum``/``avg``.
    """

    name: str
    provider: str
    data: xr.DataArray
    units: str | None
    kind: Kind = "instant"
    starts: np.ndarray | None = None
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """``"t2m (2t)"``: our name and the provider's, as error messages quote a field."""
        return f"{self.name} ({self.provider})"

    def path_at(self, index: int = 0) -> Path:
        """The file of step record ``index``."""
        return Path(str(self.data[RECORD_FILE].values[index]))


def check_not_empty(raw: RawField) -> None:
    """Raise when a step (and level) of ``raw`` is entirely missing (NaN / bitmap everywhere)."""
    n_geo = 2 if raw.data.ndim >= 3 else 1
    values = np.asarray(raw.data.values, dtype=float) if raw.data.dtype.kind not in "fc" else raw.data.values
    # fmax ignores NaN, so a slice is all-NaN exactly when its fmax is NaN: one pass, no boolean copy
    slice_max = np.fmax.reduce(values.reshape(*values.shape[:-n_geo], -1), axis=-1)
    empty = xr.DataArray(np.isnan(slice_max), dims=raw.data.dims[:-n_geo])
    if not bool(empty.any()):
        return
    where = np.argwhere(np.asarray(empty.values))[0]
    index = dict(zip(empty.dims, where, strict=True))
    step_i = int(index[STEP])
    step_h = raw.data[STEP].values[step_i] / np.timedelta64(1, "h")
    level = f", level {raw.data['level'].values[index['level']]} hPa" if "level" in index else ""
    raise InputFileError(
        raw.path_at(step_i),
        f"field {raw.label} is entirely missing (all values NaN or masked by the bitmap) at step {step_h:g} h{level}",
    )


def finish_field(raw: RawField, density: xr.DataArray | float | None = None) -> xr.DataArray:
    """Canonical units, de-accumulation and plausibility checks of one field (steps sorted).

    Parameters
    ----------
    raw : RawField
        The provider's field with steps already resolved against the set's initial time.
    density : xarray.DataArray or float, optional
        Air density [kg m-3] for mixing ratios → µg/m³ (CTM fields only).

    Returns
    -------
    xarray.DataArray
        float32 values in the unit of :data:`TARGET_UNITS`, attributes set.
    """
    target = TARGET_UNITS[raw.name]
    steps = raw.data[STEP].values
    data = raw.data if (steps[1:] > steps[:-1]).all() else raw.data.sortby(STEP)
    path = Path(str(data[RECORD_FILE].values[0]))
    check_not_empty(raw)
    convert_to = "J m-2" if (raw.kind == "accum" and target == "W m-2") else target
    if raw.kind == "instant" and raw.units and canonical_units(raw.units) == convert_to:
        converted = data  # already in the canonical unit: spare a float64 round trip of the whole field
    else:
        converted = convert(data, raw.units, convert_to, path=path, field=raw.label, density=density)
    attrs = _attributes(raw)
    if raw.kind in ("accum", "avg"):
        assert raw.starts is not None
        order = np.argsort(raw.data[STEP].values, kind="stable")
        try:
            values = deaccumulate(
                converted.values,
                converted[STEP].values,
                np.asarray(raw.starts)[order],
                average=raw.kind == "avg",
                per_second=raw.kind == "avg" or target == "W m-2",
                atol=_ATOL.get(raw.name, 0.0),
            )
        except DeaccumulationError as exc:
            raise InputFileError(path, f"field {raw.label}: cannot de-accumulate: {exc}") from exc
        converted = converted.copy(data=values)
    check_plausible(converted, raw.name, target, path=path, field=raw.label)
    if raw.name == "tcc":
        converted = converted.clip(0.0, 1.0)
    elif raw.name in CTM_VARIABLES:
        converted = converted.clip(min=0.0)  # numerical noise of the model (e.g. EAC4 pm2p5 -0.0009)
    out = converted.astype("float32", copy=False)
    out.attrs = attrs
    return out.drop_vars([RECORD_FILE, RECORD_INIT], errors="ignore")


def _attributes(raw: RawField) -> dict[str, str]:
    target = TARGET_UNITS[raw.name]
    if raw.name in CTM_VARIABLES:
        standard_name: str | None = CF_STANDARD_NAMES[raw.name]
        long_name = f"{POLLUTANT_LABELS[raw.name]} mass concentration"
    else:
        standard_name, long_name = NWP_CF_ATTRIBUTES[raw.name]
    attrs = {"units": target, "long_name": long_name, "provider_name": raw.provider}
    if standard_name:
        attrs["standard_name"] = standard_name
    if raw.units is not None:
        attrs["provider_units"] = str(raw.units)
    attrs["provider_step_type"] = raw.kind
    if raw.kind == "accum" and target == "mm":
        attrs["cell_methods"] = "step: sum (interval: from the previous step to this step)"
    elif raw.kind in ("accum", "avg"):
        attrs["cell_methods"] = "step: mean (interval: from the previous step to this step)"
    if raw.kind in ("accum", "avg"):
        windows = sorted({f"{s / np.timedelta64(1, 'h'):g}" for s in np.asarray(raw.starts)})
        attrs["deaccumulation"] = (
            f"provider {raw.kind} over windows starting at {', '.join(windows)} h → value in the interval "
            "ending at valid_time; NaN at step 0"
        )
    attrs.update(raw.notes)
    return attrs
