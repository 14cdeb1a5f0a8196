"""The cycle's models: each pollutant's champion, with the registry fallbacks recorded.

A champion may be any kind of corrector (:mod:`forecast.model_kinds`): a LightGBM corrector, an LSTM
sequence corrector or a blend of both. Registry unreachable → the last champion loaded into the home
(its local copy); no champion for a pollutant, or one that cannot be loaded here (an LSTM without the
``lstm`` extra) → that pollutant gets the baseline forecast (see :mod:`forecast.cycle.baseline`).
Each step taken is returned as a fallback note for the manifest and the catalogue.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from forecast.model_kinds import AnyCorrector, ExtraNotInstalledError, describe, model_kind
from forecast.model_store import (
    ModelInfo,
    ModelNotFoundError,
    TrackingSettings,
    TrackingUnavailableError,
    default_registered_name,
    load_corrector,
    load_local_copy,
    open_tracking,
)

logger = logging.getLogger(__name__)


@dataclass
class CycleModels:
    """Models found for a cycle, what was used instead where none was, and why.

    ``models`` maps each pollutant to its champion, of any kind; pollutants whose champions are the same
    model version (same URI) share one loaded object, so it forecasts once.
    """

    models: dict[str, AnyCorrector] = field(default_factory=dict)
    infos: dict[str, ModelInfo] = field(default_factory=dict)
    without_model: list[str] = field(default_factory=list)
    fallbacks: list[dict[str, str]] = field(default_factory=list)

    def versions(self) -> dict[str, str]:
        """pollutant → ``name/version`` (``baseline`` where no model was found).

        An LSTM or a blend says its family, ``vnaqi-pm25/4 (blend)``; a local copy says so,
        ``vnaqi-pm25/1 (local copy)``, ``vnaqi-pm25/4 (blend, local copy)``. A LightGBM corrector's is the
        bare ``name/version``.
        """
        out = {}
        for p, info in self.infos.items():
            notes = []
            model = self.models.get(p)
            if model is not None and model_kind(model) != "lightgbm":
                notes.append(model_kind(model))
            if info.from_local_copy:
                notes.append("local copy")
            out[p] = f"{info.name}/{info.version}" + (f" ({', '.join(notes)})" if notes else "")
        out.update(dict.fromkeys(self.without_model, "baseline"))
        return out

    def families(self) -> dict[str, str]:
        """pollutant → the family of its model (``LightGBM``, ``LSTM``, ``blend (lightgbm + lstm)``)."""
        return {p: describe(m) for p, m in self.models.items()}

    def to_baseline(self, pollutant: str) -> None:
        """Drop ``pollutant``'s model (it failed to forecast): the baseline forecasts it instead."""
        self.models.pop(pollutant, None)
        self.infos.pop(pollutant, None)
        if pollutant not in self.without_model:
            self.without_model.append(pollutant)


def _champion(
    client, home: Path, name: str, alias: str, pollutant: str, found: CycleModels
) -> tuple[AnyCorrector, ModelInfo] | None:
    """``name@alias`` from the registry, else its local copy; None (noted in ``found``) when there is neither."""
    if client is not None:
        try:
            return load_corrector(client, home, f"{name}@{alias}", pollutant)
        except TrackingUnavailableError as exc:
            found.fallbacks.append({"step": "registry-unreachable", "detail": f"{pollutant}: {exc}"})
        except ModelNotFoundError as exc:
            found.fallbacks.append({"step": "no-model", "detail": f"{pollutant}: {exc}; baseline forecast"})
            return None
    try:
        loaded = load_local_copy(home, name, alias=alias)
    except ModelNotFoundError as missing:
        found.fallbacks.append({"step": "no-model", "detail": f"{pollutant}: {missing}; baseline forecast"})
        return None
    detail = f"{pollutant}: {name} version {loaded[1].version} (local copy)"
    found.fallbacks.append({"step": "local-model-copy", "detail": detail})
    return loaded


def load_cycle_models(home: Path, pollutants: list[str], alias: str, tracking_uri: str | None = None) -> CycleModels:
    """Load ``models:/vnaqi-<pollutant>@<alias>`` for each pollutant, falling back as the module says."""
    found = CycleModels()
    client = None
    by_uri: dict[str, AnyCorrector] = {}
    try:
        client = open_tracking(TrackingSettings(tracking_uri=tracking_uri).resolve(home), home)
    except TrackingUnavailableError as exc:
        found.fallbacks.append({"step": "registry-unreachable", "detail": f"{exc}; using the local model copies"})
    for pollutant in pollutants:
        name = default_registered_name(pollutant)
        try:
            loaded = _champion(client, home, name, alias, pollutant, found)
        except ExtraNotInstalledError as exc:  # an LSTM (or a blend with one) on a machine without torch
            logger.error("%s: champion %s@%s cannot be loaded here: %s", pollutant, name, alias, exc)
            found.fallbacks.append({"step": "model-unloadable", "detail": f"{pollutant}: {exc}; baseline forecast"})
            loaded = None
        if loaded is None:
            found.without_model.append(pollutant)
            continue
        model, info = loaded
        model = by_uri.setdefault(info.uri, model)  # the same version twice → one object, one forecast
        found.models[pollutant], found.infos[pollutant] = model, info
    return found
