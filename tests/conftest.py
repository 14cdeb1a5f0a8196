"""Shared fixtures: the real data folder (skipped cleanly when absent) and a throw-away home."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def _shared_data_dir() -> Path:
    env = os.environ.get("VNAQI_SHARED_DATA")
    return Path(env) if env else REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` beside the checkout (or ``$VNAQI_SHARED_DATA``); skips the test when absent."""
    path = _shared_data_dir()
    if not path.is_dir():
        pytest.skip(f"real data folder {path} is absent")
    return path


@pytest.fixture()
def home(tmp_path: Path) -> Path:
    """An empty service home for one test."""
    path = tmp_path / "home"
    path.mkdir()
    return path
