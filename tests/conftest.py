"""Shared fixtures: the real data folder (skipped cleanly when absent) and a throw-away home."""

from __future__ import annotations

import os
import shutil
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


@pytest.fixture(scope="session")
def browser():
    """Headless Debian chromium through Playwright, one per test session: Playwright's sync API runs an event loop
    that a second ``sync_playwright()`` in the same process refuses to start beside. Skips with the reason when
    Playwright or chromium cannot be had."""
    from browser_helpers import CHROMIUM_ARGS, install_browser

    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed: pip install -e '.[test]'")
    if why := install_browser():
        pytest.skip(why)
    with sync_api.sync_playwright() as p:
        try:
            launched = p.chromium.launch(executable_path=shutil.which("chromium"), headless=True, args=CHROMIUM_ARGS)
        except sync_api.Error as error:
            pytest.skip(f"Debian's chromium would not start under Playwright: {error}")
        yield launched
        launched.close()
