"""Helpers for the real-browser tests: Debian's chromium (and Noto fonts) installed when missing, colour
parsing and the WCAG 2.x contrast ratio, and the size of a PNG.

Playwright's own browser download needs the network, so the tests drive Debian's ``chromium`` package
(``executable_path``); ``fonts-noto-core`` gives the Vietnamese glyphs the bulletin's "Noto Sans" asks for.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
from pathlib import Path

APT_PACKAGES = ("chromium", "fonts-noto-core")
NOTO_SANS = Path("/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]


def _missing_packages() -> list[str]:
    missing = []
    if not shutil.which("chromium"):
        missing.append("chromium")
    if not NOTO_SANS.is_file():
        missing.append("fonts-noto-core")
    return missing


def install_browser() -> str | None:
    """Install Debian's chromium and Noto fonts when missing and we may (root with apt-get), quietly.

    Returns why the browser is still unusable (None when ``chromium`` is on PATH); missing fonts alone
    are not a reason to skip (the font test says so itself).
    """
    missing = _missing_packages()
    if missing and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing]
        for cmd in (["apt-get", "update", "-qq"], install):
            done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900, check=False)
            if done.returncode != 0:
                break
    if not shutil.which("chromium"):
        how = "apt-get install chromium fonts-noto-core"
        why = "not root or no apt-get" if os.geteuid() != 0 or not shutil.which("apt-get") else "apt-get failed"
        return f"Debian's chromium is not installed and could not be ({why}): {how}"
    return None


def noto_installed() -> bool:
    return NOTO_SANS.is_file()


_RGB = re.compile(r"rgba?\(\s*([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)(?:\s*[,/]\s*([\d.]+%?))?\s*\)")


def hex_to_css_rgb(hex_colour: str) -> str:
    """``#7E0023`` -> ``rgb(126, 0, 35)``, as ``getComputedStyle`` writes an opaque colour."""
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgb({r}, {g}, {b})"


def parse_css_colour(css: str) -> tuple[float, float, float, float]:
    """``rgb(r, g, b)`` / ``rgba(r, g, b, a)`` (computed-style form) -> (r, g, b, alpha)."""
    m = _RGB.fullmatch(css.strip())
    if not m:
        raise ValueError(f"not a computed rgb() colour: {css!r}")
    alpha = m.group(4)
    a = 1.0 if alpha is None else (float(alpha[:-1]) / 100 if alpha.endswith("%") else float(alpha))
    return float(m.group(1)), float(m.group(2)), float(m.group(3)), a


def relative_luminance(rgb: tuple[float, float, float]) -> float:
    """WCAG 2.x relative luminance of an sRGB colour (0–255 channels)."""

    def channel(v: float) -> float:
        c = v / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG contrast ratio of two computed CSS colours; a translucent foreground is composited on the
    (opaque) background first."""
    fr, fg, fb, fa = parse_css_colour(foreground)
    br, bg, bb, _ = parse_css_colour(background)
    fr, fg, fb = (fa * f + (1 - fa) * b for f, b in ((fr, br), (fg, bg), (fb, bb)))
    hi, lo = sorted((relative_luminance((fr, fg, fb)), relative_luminance((br, bg, bb))), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    return struct.unpack(">II", data[16:24])
