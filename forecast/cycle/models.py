"""The cycle's models: each pollutant's champion, with the registry fallbacks recorded.

Registry unreachable → the last champion loaded into the home (its local copy); no champion for a
pollutant → that pollutant gets the baseline forecast (see :mod:`forecast.cycle.baseline`). Each step
taken is returned as a fallback note for the manifest and the catalogue.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from forecast.corrector import CorrectorModel
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
    """Models found for a cycle, what was used instead where none was, and why."""

    models: dict[str, CorrectorModel] = field(default_factory=dict)
    infos: dict[str, ModelInfo] = field(default_factory=dict)
    without_model: list[str] = field(default_factory=list)
    fallbacks: list[dict[str, str]] = field(default_factory=list)

    def versions(self) -> dict[str, str]:
        """pollutant → ``name/version`` (``baseline`` where no model was found)."""
        out = {
            p: f"{i.name}/{i.version}" + (" (local copy)" if i.from_local_copy else "") for p, i in self.infos.items()
        }
        out.update(dict.fromkeys(self.without_model, "baseline"))
        return out


def load_cycle_models(home: Path, pollutants: list[str], alias: str, tracking_uri: str | None = None) -> CycleModels:
    """Load ``models:/vnaqi-<pollutant>@<alias>`` for each pollutant, falling back as the module says."""
    found = CycleModels()
    client = None
    try:
        client = open_tracking(TrackingSettings(tracking_uri=tracking_uri).resolve(home), home)
    except TrackingUnavailableError as exc:
        found.fallbacks.append({"step": "registry-unreachable", "detail": f"{exc}; using the local model copies"})
    for pollutant in pollutants:
        name = default_registered_name(pollutant)
        loaded = None
        if client is not None:
            try:
                loaded = load_corrector(client, home, f"{name}@{alias}", pollutant)
            except TrackingUnavailableError as exc:
                found.fallbacks.append({"step": "registry-unreachable", "detail": f"{pollutant}: {exc}"})
            except ModelNotFoundError as exc:
                found.without_model.append(pollutant)
                found.fallbacks.append({"step": "no-model", "detail": f"{pollutant}: {exc}; baseline forecast"})
                continue
        if loaded is None:
            try:
                loaded = load_local_copy(home, name, alias=alias)
            except ModelNotFoundError as missing:
                found.without_model.append(pollutant)
                found.fallbacks.append({"step": "no-model", "detail": f"{pollutant}: {missing}; baseline forecast"})
                continue
            found.fallbacks.append(
                {"step": "local-model-copy", "detail": f"{pollutant}: {name} version {loaded[1].version} (local copy)"}
            )
        found.models[pollutant], found.infos[pollutant] = loaded
    return found
