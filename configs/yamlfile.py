"""Read a YAML file into a pydantic model, turning every failure into one error that names the file."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

ModelT = TypeVar("ModelT", bound=BaseModel)


def load_model(path: Path | str, model: type[ModelT], error: type[Exception], what: str) -> ModelT:
    """``model`` validated from the YAML at ``path``; ``error("<path>: …")`` when missing, not YAML or invalid.

    ``what`` names the kind of file in messages, e.g. ``"network"`` or ``"sources"``.
    """
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise error(f"{path}: {what} file not found") from exc
    except yaml.YAMLError as exc:
        raise error(f"{path}: not valid YAML: {exc}") from exc
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise error(f"{path}: invalid {what}: {exc}") from exc
