"""One contact sheet per screen size from the screens test's screenshots: every page state at a glance.

    .venv/bin/python -m pytest tests/e2e/test_screens.py -q   # takes the screenshots (tests/e2e/output/screens/)
    .venv/bin/python -m harness.contact_sheet                  # tests/e2e/output/contact-<size>.png

The screenshots are named ``<size>-<page>[-<state>].png``; on a sheet each page is a column, in the app's order,
its first visit on top and the states a class reaches (a finished run, the Teacher page unlocked) under it, each
labelled. The sheets are outputs, never committed.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

REPO_ROOT = Path(__file__).resolve().parents[1]
SCREENS_DIR = REPO_ROOT / "tests" / "e2e" / "output" / "screens"
OUT_DIR = SCREENS_DIR.parent
SIZES = ("phone", "tablet", "laptop", "desktop")
# The navigation's order; a page the test adds later goes at the end, by name
PAGE_ORDER = ("home", "train", "lessons", "evaluate", "inside", "labels", "predict", "compare", "bring", "play")
PAGE_ORDER += ("teacher",)
FIRST_VISIT = "first visit"
LABEL_HEIGHT = 28
GAP = 12
BACKGROUND, INK, EDGE = (255, 255, 255), (20, 20, 20), (200, 202, 208)


@dataclass(frozen=True)
class Shot:
    """One screenshot: which page, in which state, where."""

    page: str
    state: str
    path: Path


def shots_of(size: str, folder: Path = SCREENS_DIR) -> list[Shot]:
    """The screenshots of one size: ``phone-train.png`` is Train's first visit, ``phone-train-finished.png`` its
    finished state."""
    found = []
    for path in sorted(folder.glob(f"{size}-*.png")):
        page, _, state = path.stem.removeprefix(f"{size}-").partition("-")
        found.append(Shot(page, state.replace("-", " ") or FIRST_VISIT, path))
    return found


def _order(page: str) -> tuple[int, str]:
    return (PAGE_ORDER.index(page) if page in PAGE_ORDER else len(PAGE_ORDER), page)


def grid(shots: list[Shot]) -> dict[tuple[int, int], Shot]:
    """Each shot's cell (row, column): a column per page, in the app's order; its first visit on the top row, its
    other states (a finished run, the Teacher page unlocked) under it."""
    pages = sorted({shot.page for shot in shots}, key=_order)
    cells = {}
    for column, page in enumerate(pages):
        states = sorted((shot for shot in shots if shot.page == page), key=lambda s: (s.state != FIRST_VISIT, s.state))
        cells.update({(row, column): shot for row, shot in enumerate(states)})
    return cells


def sheet(shots: list[Shot], cell_width: int) -> Image.Image:
    """The page x state grid: each screenshot scaled to ``cell_width`` under its label ("train · finished")."""
    cells = grid(shots)
    images = {cell: Image.open(shot.path).convert("RGB") for cell, shot in cells.items()}
    scale = cell_width / max(image.width for image in images.values())
    cell_height = round(max(image.height for image in images.values()) * scale)
    font = ImageFont.load_default(size=18)
    rows, columns = (1 + max(cell[axis] for cell in cells) for axis in (0, 1))
    canvas = Image.new(
        "RGB", (GAP + columns * (cell_width + GAP), GAP + rows * (LABEL_HEIGHT + cell_height + GAP)), BACKGROUND
    )
    draw = ImageDraw.Draw(canvas)
    for (row, column), shot in cells.items():
        left, top = GAP + column * (cell_width + GAP), GAP + row * (LABEL_HEIGHT + cell_height + GAP)
        draw.text((left, top + 4), f"{shot.page} · {shot.state}", fill=INK, font=font)
        image = images[(row, column)]
        scaled = image.resize((round(image.width * scale), round(image.height * scale)), Image.LANCZOS)
        canvas.paste(scaled, (left, top + LABEL_HEIGHT))
        draw.rectangle(
            (left, top + LABEL_HEIGHT, left + scaled.width - 1, top + LABEL_HEIGHT + scaled.height - 1), outline=EDGE
        )
    return canvas


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--screens", type=Path, default=SCREENS_DIR, help="the screens test's screenshots")
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="where contact-<size>.png go")
    parser.add_argument("--cell-width", type=int, default=300, help="each screenshot's width on the sheet (px)")
    args = parser.parse_args(argv)
    if args.cell_width < 50:
        parser.error(f"--cell-width must be at least 50 (got {args.cell_width})")
    written = []
    for size in SIZES:
        shots = shots_of(size, args.screens)
        if not shots:
            continue
        path = args.out / f"contact-{size}.png"
        sheet(shots, args.cell_width).save(path, optimize=True)
        written.append(path)
        print(f"{path}: {len(shots)} screenshots")
    if not written:
        print(f"No screenshots in {args.screens}: run tests/e2e/test_screens.py first.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
