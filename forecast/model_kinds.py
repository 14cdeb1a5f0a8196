"""The three kinds of corrector a registered version can hold, and how to read each from its folder.

Why: ``models:/vnaqi-<pollutant>@champion`` may point at a LightGBM corrector, an LSTM sequence
corrector or a blend of both (whichever verified best); the cycle, the hindcast and promotion load
"the champion" without caring which. A saved folder says what it is by its description file:

=========  ===================  ==========================================================
kind       description file     loaded as
=========  ===================  ==========================================================
lightgbm   ``corrector.json``   :class:`forecast.corrector.CorrectorModel` (one pollutant)
lstm       ``sequence.json``    :class:`forecast.sequence.model.SequenceModel` (needs torch)
blend      ``blend.json``       :class:`forecast.blend.ModelBlend` with its components loaded
=========  ===================  ==========================================================

A blend's component folders (``<folder>/<component>/``) hold a LightGBM set (``<pollutant>/corrector.json``,
:class:`forecast.blend.CorrectorRows`), a single corrector, or a sequence model. Only the LSTM needs
the optional ``lstm`` extra; without it loading one raises :class:`ExtraNotInstalledError`, which says
how to install it.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeAlias

from features.spec import FeatureSpec
from forecast.blend import CorrectorRows, ModelBlend, RowForecaster
from forecast.corrector import CorrectorModel

if TYPE_CHECKING:
    from forecast.sequence.model import SequenceModel

logger = logging.getLogger(__name__)

Kind = Literal["lightgbm", "lstm", "blend"]
KINDS: tuple[Kind, ...] = ("lightgbm", "lstm", "blend")
DESCRIPTION_FILES: dict[Kind, str] = {"lightgbm": "corrector.json", "lstm": "sequence.json", "blend": "blend.json"}
"""The file that marks a saved folder of each kind."""
ARTIFACT_KEYS: dict[Kind, str] = {"lightgbm": "corrector", "lstm": "sequence", "blend": "blend"}
"""Artefact key (folder under a logged MLflow model's ``artifacts/``) of each kind."""
LSTM_INSTALL = 'pip install -e ".[lstm]"  (the CPU build: torch==2.13.0, as the README\'s test command does)'

AnyCorrector: TypeAlias = "CorrectorModel | SequenceModel | ModelBlend"
"""What a registered version loads as (see the module docstring)."""


class ExtraNotInstalledError(ImportError):
    """The model needs an optional extra that is not installed; the message says how to install it."""


def lstm_available() -> bool:
    """True when torch and Lightning (the ``lstm`` extra) can be imported."""
    return all(importlib.util.find_spec(name) is not None for name in ("torch", "pytorch_lightning"))


def require_lstm(what: str = "the LSTM corrector") -> None:
    """Raise :class:`ExtraNotInstalledError` naming ``what`` and the install command when torch is missing."""
    if not lstm_available():
        raise ExtraNotInstalledError(f"{what} needs the optional 'lstm' extra (PyTorch, Lightning): {LSTM_INSTALL}")


def folder_kind(folder: Path | str) -> Kind | None:
    """The kind of a saved corrector folder (by its description file); None when it holds none."""
    folder = Path(folder)
    for kind in KINDS:
        if (folder / DESCRIPTION_FILES[kind]).is_file():
            return kind
    return None


def load_sequence(folder: Path | str) -> SequenceModel:
    """A saved LSTM; :class:`ExtraNotInstalledError` without the ``lstm`` extra."""
    require_lstm(f"the LSTM corrector in {folder}")
    from forecast.sequence.model import SequenceModel

    return SequenceModel.load(folder)


def load_component(folder: Path | str) -> RowForecaster:
    """A blend component's folder as a :class:`RowForecaster`: a LightGBM set, one corrector or an LSTM."""
    folder = Path(folder)
    kind = folder_kind(folder)
    if kind == "lstm":
        return load_sequence(folder)
    if kind == "lightgbm":
        model = CorrectorModel.load(folder)
        return CorrectorRows({model.pollutant: model})
    if kind == "blend":
        raise ValueError(f"{folder}: a blend cannot be a component of another blend")
    return CorrectorRows.load(folder)


def load_model_folder(folder: Path | str) -> AnyCorrector:
    """The corrector saved in ``folder``, whatever its kind (a blend with its components loaded).

    Raises
    ------
    FileNotFoundError
        The folder holds no corrector (no description file of any kind).
    ExtraNotInstalledError
        An LSTM (or a blend with one) without the ``lstm`` extra.
    """
    folder = Path(folder)
    kind = folder_kind(folder)
    if kind is None:
        expected = ", ".join(DESCRIPTION_FILES.values())
        raise FileNotFoundError(f"{folder} holds no vnaqi corrector (none of {expected})")
    if kind == "lightgbm":
        return CorrectorModel.load(folder)
    if kind == "lstm":
        return load_sequence(folder)
    return _load_blend(folder)


def _load_blend(folder: Path) -> ModelBlend:
    """A blend with every component this machine can load: one needing an extra that is not installed is
    left out with a warning (its weight goes to the others at forecast time, and the run records it), so a
    LightGBM + LSTM champion still forecasts where torch is missing. No loadable component is an error."""
    blend = ModelBlend.load(folder)
    loaded, unavailable = {}, []
    for name in blend.components:
        path = folder / name
        if not path.is_dir():
            raise FileNotFoundError(f"blend component {name!r} is missing: no folder {path}")
        try:
            loaded[name] = load_component(path)
        except ExtraNotInstalledError as exc:
            logger.warning("blend %s: component %s left out: %s", folder, name, exc)
            unavailable.append(f"{name}: {exc}")
        except Exception as exc:
            raise RuntimeError(f"blend component {name!r} failed to load from {path}: {exc}") from exc
    if not loaded:
        reasons = "; ".join(unavailable)
        raise ExtraNotInstalledError(f"no component of the blend in {folder} can be loaded here: {reasons}")
    blend.forecasters = loaded
    return blend


def model_kind(model: object) -> Kind:
    """``lightgbm``, ``lstm`` or ``blend`` for a loaded model."""
    if isinstance(model, CorrectorModel | CorrectorRows):
        return "lightgbm"
    if isinstance(model, ModelBlend):
        return "blend"
    if type(model).__name__ == "SequenceModel":
        return "lstm"
    raise TypeError(f"not a vnaqi corrector: {type(model).__name__}")


def model_pollutants(model: object) -> list[str]:
    """Pollutants a loaded model forecasts."""
    if isinstance(model, CorrectorModel):
        return [model.pollutant]
    return list(model.pollutants)  # type: ignore[attr-defined]


def as_row_forecaster(model: object) -> RowForecaster:
    """A :class:`RowForecaster` for any kind (a LightGBM corrector is wrapped in :class:`CorrectorRows`)."""
    if isinstance(model, CorrectorModel):
        return CorrectorRows({model.pollutant: model})
    if isinstance(model, RowForecaster):
        return model
    raise TypeError(f"not a vnaqi corrector: {type(model).__name__}")


def component_models(model: object) -> list[object]:
    """The model itself, or a blend's loaded components (LightGBM sets unwrapped to their correctors)."""
    if isinstance(model, ModelBlend):
        out: list[object] = []
        for component in model.forecasters.values():
            out.extend(component.models.values() if isinstance(component, CorrectorRows) else [component])
        return out
    if isinstance(model, CorrectorRows):
        return list(model.models.values())
    return [model]


def model_specs(model: object) -> list[FeatureSpec]:
    """Feature specs of the model (a blend: of its loaded components)."""
    return [m.spec for m in component_models(model)]  # type: ignore[attr-defined]


def model_uses_met(model: object) -> bool:
    """True when any part of the model reads met (the hindcast must then load it)."""
    return any(spec.uses_met for spec in model_specs(model))


def model_met_mode(model: object) -> str:
    """The met mode the model was trained with (a blend: its components', joined with ``+`` if they differ)."""
    modes = list(dict.fromkeys(spec.met_mode for spec in model_specs(model)))
    if not modes and isinstance(model, ModelBlend):
        modes = [str(model.metadata.get("met_mode", "unknown"))]
    return "+".join(modes)


def model_metadata(model: object) -> dict:
    """The model's metadata (training period, stations …; a blend's own, falling back to its first component's)."""
    own = dict(getattr(model, "metadata", {}) or {})
    if isinstance(model, ModelBlend):
        for component in component_models(model):
            for key, value in (getattr(component, "metadata", {}) or {}).items():
                own.setdefault(key, value)
    return own


def describe(model: object) -> str:
    """A short label: ``LightGBM``, ``LSTM`` or ``blend (lightgbm + lstm)``."""
    kind = model_kind(model)
    if kind == "blend":
        return f"blend ({' + '.join(model.components)})"  # type: ignore[attr-defined]
    return {"lightgbm": "LightGBM", "lstm": "LSTM"}[kind]


def station_lists(models: Sequence[object]) -> list[str]:
    """Stations the models were trained on (union of their metadata), sorted."""
    return sorted({s for m in models for s in (model_metadata(m).get("stations") or ())})
