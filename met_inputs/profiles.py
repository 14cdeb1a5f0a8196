"""Vertical profiles at stations: level heights above ground, low-level inversions, boundary-layer mean wind.

A profile is the near-surface node (t2m at 2 m, 10 m wind at 10 m above ground) followed by the pressure
levels (``level`` [hPa], e.g. 1000/975/950/925/850) that lie **above the surface**: level pressure < sp.
Levels at or below the surface (the model extrapolates them underground) are ignored.

Heights above ground of the levels [m]:

* from geopotential height: h = gh − ``surface_height_m`` (the height the near-surface fields refer to:
  station elevation after :mod:`met_inputs.elevation`, else the model orography), when both are known;
* otherwise hypsometrically, integrating upward from the surface (sp, t2m) level by level with the
  layer-mean temperature, Δz = (R/g₀) T̄ ln(p_lower / p_upper) (:func:`met_inputs.thermo.hypsometric_thickness_m`).

Everything is vectorised over all dims but ``level``; the only Python loops run over the few levels.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from configs.schema import LEVEL
from met_inputs.thermo import hypsometric_thickness_m

SCREEN_HEIGHT_M = 2.0
"""Height above ground of t2m and d2m [m]."""
ANEMOMETER_HEIGHT_M = 10.0
"""Height above ground of u10 and v10 [m]."""
DEFAULT_MAX_BASE_HEIGHT_M = 1500.0
"""Inversion layers count when their base lies below this height above ground [m]."""


class MissingInputError(KeyError):
    """A diagnostic cannot be computed because its inputs are absent; the message says which."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def _require(ds: xr.Dataset, names: tuple[str, ...], what: str) -> None:
    missing = [n for n in names if n not in ds.variables]
    if missing:
        raise MissingInputError(f"{what} needs {', '.join(missing)}")


def level_heights_agl(ds: xr.Dataset) -> xr.DataArray:
    """Heights above ground [m] of the pressure levels, NaN for levels at or below the surface.

    Parameters
    ----------
    ds : xarray.Dataset
        Station dataset with coordinate ``level`` [hPa] and either ``gh`` [m] plus coordinate
        ``surface_height_m`` [m], or ``sp`` [Pa], ``t2m`` [K] and ``t`` [K] (hypsometric), or both
        (gh wherever the surface height is known, hypsometric elsewhere).

    Returns
    -------
    xarray.DataArray
        Same dims as the level fields; ``attrs["source"]`` says which method was used.
    """
    if LEVEL not in ds.dims:
        raise MissingInputError("level heights need pressure levels (dim 'level')")
    level_pa = ds[LEVEL].astype(float) * 100.0
    surface = ds.coords.get("surface_height_m")
    from_gh = None
    if "gh" in ds and surface is not None and bool(np.isfinite(surface).any()):
        from_gh = ds["gh"] - surface
    need_hyps = from_gh is None or not bool(np.isfinite(surface).all())
    hyps = _hypsometric_heights(ds) if need_hyps and all(n in ds for n in ("sp", "t2m", "t")) else None
    if from_gh is None and hyps is None:
        raise MissingInputError(
            "level heights need gh and surface_height_m (orog or station elevation), or sp, t2m and t (hypsometric)"
        )
    if from_gh is None:
        heights, source = hyps, "hypsometric from sp, t2m and t"
    elif hyps is None:
        heights, source = from_gh, "gh − surface_height_m"
    else:
        heights = from_gh.where(np.isfinite(surface), hyps)
        source = "gh − surface_height_m (hypsometric where the surface height is unknown)"
    above = heights > SCREEN_HEIGHT_M
    if "sp" in ds:
        above = above & (level_pa < ds["sp"])
    heights = heights.where(above)
    return heights.assign_attrs(units="m", long_name="height of pressure level above ground", source=source)


def _hypsometric_heights(ds: xr.Dataset) -> xr.DataArray:
    t = ds["t"].sortby(LEVEL, ascending=False)
    sp_hpa = (ds["sp"] / 100.0).broadcast_like(t.isel({LEVEL: 0}, drop=True))
    z_prev = xr.zeros_like(sp_hpa)
    p_prev = sp_hpa
    t_prev = ds["t2m"].broadcast_like(sp_hpa)
    heights = []
    for level in t[LEVEL].values:
        t_k = t.sel({LEVEL: level}, drop=True)
        valid = (float(level) < sp_hpa) & np.isfinite(t_k)
        z_k = z_prev + hypsometric_thickness_m(0.5 * (t_prev + t_k), p_prev, float(level))
        heights.append(z_k.where(valid))
        z_prev = xr.where(valid, z_k, z_prev)
        p_prev = xr.where(valid, float(level), p_prev)
        t_prev = xr.where(valid, t_k, t_prev)
    out = xr.concat(heights, dim=t[LEVEL])
    return out.transpose(*ds["t"].dims).reindex({LEVEL: ds[LEVEL]})


def _sorted_profile(
    surface_value: xr.DataArray, surface_height: float, level_value: xr.DataArray, heights: xr.DataArray
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Nodes (surface + levels) as numpy ``(..., node)`` sorted by height, invalid nodes last (NaN)."""
    level_value = level_value.where(np.isfinite(heights))
    other = [d for d in heights.dims if d != LEVEL]
    template = heights.isel({LEVEL: 0}, drop=True)
    s_val = surface_value.broadcast_like(template).transpose(*other).values[..., None]
    z = np.concatenate([np.full_like(s_val, surface_height), heights.transpose(*other, LEVEL).values], axis=-1)
    v = np.concatenate([s_val, level_value.broadcast_like(heights).transpose(*other, LEVEL).values], axis=-1)
    valid = np.isfinite(z) & np.isfinite(v)
    key = np.where(valid, z, np.inf)
    z = np.where(valid, z, np.nan)
    if (key[..., 1:] >= key[..., :-1]).all():  # the usual case: already in height order, invalid nodes last
        return z, v, other
    order = np.argsort(key, axis=-1, kind="stable")
    return np.take_along_axis(z, order, -1), np.take_along_axis(v, order, -1), other


def inversion_diagnostics(
    ds: xr.Dataset, max_base_height_m: float = DEFAULT_MAX_BASE_HEIGHT_M, heights: xr.DataArray | None = None
) -> xr.Dataset:
    """Low-level temperature inversions from the t2m + pressure-level profile.

    A *layer* joins two consecutive valid profile nodes (2 m, then the levels above ground by height); it
    is *inverted* when temperature increases with height across it (T_top − T_base > 0) and it *counts*
    when its base is below ``max_base_height_m`` above ground. Consecutive inverted layers form one
    inversion (the classic radiosonde definition: base = bottom of the first layer with a temperature
    increase, top = top of the last; Kahl 1990, Bourne et al. 2010).

    Returns
    -------
    xarray.Dataset
        * ``inversion_flag`` [1]: 1 where any counted layer is inverted, else 0; NaN where t2m is NaN or
          no level lies above the surface.
        * ``inversion_strength_k`` [K]: the largest T_top − T_base over the inversions (merged runs of
          inverted layers); 0 where none.
        * ``inversion_base_m`` [m above ground]: base of the lowest inversion (2 m = surface-based);
          NaN where none.
        * ``lapse_t850_t2m_k`` = T(850 hPa) − t2m and ``lapse_t925_t1000_k`` = T(925) − T(1000) [K], NaN
          where a level is below the surface or absent.

    References
    ----------
    .. [1] Kahl, J. D. (1990). Characteristics of the low-level temperature inversion along the Alaskan
       Arctic coast. Int. J. Climatol. 10, 537–548.
    .. [2] Bourne, S. M., Bhatt, U. S., Zhang, J. & Thoman, R. (2010). Surface-based temperature inversions
       in Alaska from a climate perspective. Atmos. Res. 95, 353–366.
    """
    _require(ds, ("t2m", "t"), "inversion diagnostics")
    heights = level_heights_agl(ds) if heights is None else heights
    z, temp, other = _sorted_profile(ds["t2m"], SCREEN_HEIGHT_M, ds["t"], heights)
    d_t = temp[..., 1:] - temp[..., :-1]
    layer_ok = np.isfinite(d_t)
    counted = layer_ok & (z[..., :-1] < max_base_height_m)
    inverted = counted & (d_t > 0)
    run = np.zeros(d_t.shape[:-1])
    strength = np.zeros(d_t.shape[:-1])
    for k in range(d_t.shape[-1]):
        run = np.where(inverted[..., k], run + d_t[..., k], 0.0)
        strength = np.maximum(strength, run)
    first = np.argmax(inverted, axis=-1)
    any_inv = inverted.any(axis=-1)
    base = np.where(any_inv, np.take_along_axis(z, first[..., None], -1)[..., 0], np.nan)
    surface_known = np.isfinite(ds["t2m"].broadcast_like(heights.isel({LEVEL: 0}, drop=True)).transpose(*other).values)
    defined = counted.any(axis=-1) & surface_known
    coords = {k: v for k, v in heights.coords.items() if LEVEL not in v.dims}
    out = xr.Dataset(
        {
            "inversion_flag": (other, np.where(defined, any_inv.astype(float), np.nan)),
            "inversion_strength_k": (other, np.where(defined, strength, np.nan)),
            "inversion_base_m": (other, base),
        },
        coords=coords,
    )
    out["inversion_flag"].attrs.update(units="1", long_name=f"temperature inversion below {max_base_height_m:g} m")
    out["inversion_strength_k"].attrs.update(units="K", long_name="largest T(top) − T(base) of an inversion")
    out["inversion_base_m"].attrs.update(units="m", long_name="base of the lowest inversion above ground")
    t_above = ds["t"].where(np.isfinite(heights))
    levels = set(np.asarray(ds[LEVEL].values, dtype=float).tolist())
    if 850.0 in levels:
        out["lapse_t850_t2m_k"] = (t_above.sel({LEVEL: 850}, drop=True) - ds["t2m"]).assign_attrs(
            units="K", long_name="T(850 hPa) − t2m"
        )
    if {925.0, 1000.0} <= levels:
        out["lapse_t925_t1000_k"] = (
            t_above.sel({LEVEL: 925}, drop=True) - t_above.sel({LEVEL: 1000}, drop=True)
        ).assign_attrs(units="K", long_name="T(925 hPa) − T(1000 hPa)")
    return out


def layer_mean(
    surface_value: xr.DataArray,
    surface_height_m: float,
    level_value: xr.DataArray,
    heights: xr.DataArray,
    top_m: xr.DataArray,
) -> xr.DataArray:
    """Height-weighted mean of a profile from the surface node up to ``top_m`` [m above ground].

    The profile is linear in height between nodes and constant above the highest valid node; where
    ``top_m`` is at or below the surface node the surface value is returned.
    """
    z, v, other = _sorted_profile(surface_value, surface_height_m, level_value, heights)
    top = top_m.broadcast_like(heights.isel({LEVEL: 0}, drop=True)).transpose(*other).values
    integral = np.zeros(top.shape)
    last_z, last_v = z[..., 0], v[..., 0]
    for k in range(z.shape[-1] - 1):
        z0, z1, v0, v1 = z[..., k], z[..., k + 1], v[..., k], v[..., k + 1]
        ok = np.isfinite(z1) & np.isfinite(v1) & (z1 > z0)
        zt = np.clip(top, z0, np.where(ok, z1, z0))
        frac = np.where(ok, (zt - z0) / np.where(ok, z1 - z0, 1.0), 0.0)
        integral += np.where(ok, (zt - z0) * (v0 + 0.5 * frac * (v1 - v0)), 0.0)
        last_z, last_v = np.where(ok, z1, last_z), np.where(ok, v1, last_v)
    integral += np.maximum(top - last_z, 0.0) * last_v
    depth = top - z[..., 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(depth > 0, integral / np.where(depth > 0, depth, 1.0), v[..., 0])
    mean = np.where(np.isfinite(top), mean, np.nan)
    coords = {k: c for k, c in heights.coords.items() if LEVEL not in c.dims}
    return xr.DataArray(mean, dims=other, coords=coords)
