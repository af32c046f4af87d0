"""Fetching what packages ship: npm tarballs (``npm pack``, once) into the git-ignored ``recipes/.world-cache/``,
Iconify icon sets read as SVG files, and SVG drawn as PNG by cairosvg (requirements-dev.txt, with Debian's
libcairo2; no external files are read)."""

from __future__ import annotations

import json
import subprocess
import tarfile
from pathlib import Path

CACHE = Path(__file__).resolve().parents[1] / ".world-cache"


def npm(package: str, version: str) -> Path:
    """The package's tarball, fetched once with ``npm pack`` into the cache."""
    CACHE.mkdir(parents=True, exist_ok=True)
    stem = package.lstrip("@").replace("/", "-")
    tarball = CACHE / f"{stem}-{version}.tgz"
    if not tarball.exists():
        subprocess.run(
            ["npm", "pack", f"{package}@{version}", "--pack-destination", str(CACHE), "--silent"],
            check=True,
            capture_output=True,
        )
    return tarball


def svg_to_png(svg: bytes, side: int = 128) -> bytes:
    """The SVG drawn at ``side`` x ``side`` on transparency."""
    import cairosvg  # requirements-dev.txt

    return cairosvg.svg2png(bytestring=svg, output_width=side, output_height=side)


def iconify(package: str, version: str) -> tuple[dict[str, bytes], dict[str, str]]:
    """An Iconify icon set (npm ``@iconify-json/...``): every icon as an SVG file, by name (aliases too),
    and its emoji names by code point (``chars.json``; empty for icon sets)."""
    with tarfile.open(npm(package, version)) as tar:
        icons = json.loads(tar.extractfile("package/icons.json").read())
        chars = json.loads(tar.extractfile("package/chars.json").read())
    svgs = {}
    for name, icon in icons["icons"].items():
        left, top = icon.get("left", icons.get("left", 0)), icon.get("top", icons.get("top", 0))
        width, height = icon.get("width", icons.get("width", 16)), icon.get("height", icons.get("height", 16))
        svgs[name] = (
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{left} {top} {width} {height}">{icon["body"]}</svg>'
        ).encode()
    for name, alias in icons.get("aliases", {}).items():
        if alias.get("parent") in svgs and len(alias) == 1:
            svgs[name] = svgs[alias["parent"]]
    return svgs, chars
