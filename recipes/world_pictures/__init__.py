"""Pictures nobody here made: emoji, icons and sample photos that Debian, npm and PyPI packages ship.

    .venv/bin/python -m recipes.world_pictures        # fetch every source and print the catalogue

Nothing is committed: each source is fetched at run time (``npm pack`` from the npm registry, a Debian
font, scikit-image's bundled sample photos) into the git-ignored ``recipes/.world-cache/``, and each
picture records where it came from and under which licence.

The catalogue is split once, **by source**, into a *tuning* part (what the garment check may learn
from and what thresholds may be chosen on) and a *held-out* part (reported, never tuned on). No source
is in both:

- tuning: Noto Color Emoji (Debian ``fonts-noto-color-emoji``), Apple's emoji (npm
  ``emoji-datasource-apple``), Font Awesome's free solid icons (npm ``@fortawesome/fontawesome-free``,
  black icons on white), OpenMoji (npm ``openmoji``, SVG drawn by cairosvg), and two sets
  of line icons, each in its outline and its filled style, black on white: Phosphor
  (npm ``@phosphor-icons/core``) and Tabler (npm ``@tabler/icons``); Microsoft's Fluent Emoji, flat style, and
  Game Icons' silhouettes (both from Iconify's npm packages, ``@iconify-json/fluent-emoji-flat`` and
  ``@iconify-json/game-icons``, SVG drawn by cairosvg);
- held-out: Twemoji (npm ``emoji-datasource-twitter``), Material Design Icons (npm ``@mdi/font``,
  black icons on white), scikit-image's sample photos (PyPI ``scikit-image``; none is a garment).

Each picture is a ``garment`` (one of the ten classes; ``labels`` are the answers that count as right
where a drawing fits two classes, e.g. a blouse), ``clothing`` outside the ten kinds (socks, a hat,
glasses: reported apart) or ``other`` (food, animals, objects, vehicles, people, symbols, scenes).
Only Phosphor draws something of the pullover kind (a hoodie, which may also be a Coat).

One module per family of sources: ``emoji``, ``icon_fonts``, ``line_icons``, ``photos``; ``picture`` holds what
they share (a ``Picture``, a ``Source``, the answers' names) and ``packages`` how they are fetched. Used by the
garment check's and the lead refit's training (recipes/) and by the world benchmark (bench/bench_world.py).
"""

from __future__ import annotations

from functools import cache

from recipes.world_pictures.emoji import datasource, emoji_package, iconify_emoji, noto
from recipes.world_pictures.icon_fonts import font_awesome, material_design_icons
from recipes.world_pictures.line_icons import (
    GAME_CLOTHING,
    GAME_GARMENTS,
    PHOSPHOR_CLOTHING,
    PHOSPHOR_GARMENTS,
    TABLER_CLOTHING,
    TABLER_GARMENTS,
    iconify_icons,
    line_icons,
    npm_svgs,
)
from recipes.world_pictures.packages import svg_to_png
from recipes.world_pictures.photos import skimage_samples
from recipes.world_pictures.picture import SPLITS, Picture, Source

__all__ = ["SOURCES", "SPLITS", "Picture", "Source", "fetch", "pictures", "source_pictures"]

SOURCES: tuple[Source, ...] = (
    Source("Noto Color Emoji", "tuning", "OFL-1.1", noto),
    Source(
        "Apple emoji",
        "tuning",
        "Apple (fetched, never committed)",
        datasource("apple", "Apple emoji", "tuning", "Apple (fetched, never committed)"),
    ),
    Source("Font Awesome", "tuning", "CC-BY-4.0 (icons)", font_awesome),
    Source(
        "OpenMoji",
        "tuning",
        "CC-BY-SA-4.0",
        emoji_package("openmoji", "17.0.0", "/color/svg/", "OpenMoji", "tuning", "CC-BY-SA-4.0", svg_to_png),
    ),
    Source(
        "Phosphor Icons",
        "tuning",
        "MIT",
        line_icons(
            "Phosphor Icons",
            npm_svgs(
                "@phosphor-icons/core",
                "2.1.1",
                {"outline": "package/assets/regular/{name}.svg", "filled": "package/assets/fill/{name}-fill.svg"},
            ),
            PHOSPHOR_GARMENTS,
            PHOSPHOR_CLOTHING,
            "MIT",
        ),
    ),
    Source(
        "Tabler Icons",
        "tuning",
        "MIT",
        line_icons(
            "Tabler Icons",
            npm_svgs(
                "@tabler/icons",
                "3.52.0",
                {"outline": "package/icons/outline/{name}.svg", "filled": "package/icons/filled/{name}.svg"},
            ),
            TABLER_GARMENTS,
            TABLER_CLOTHING,
            "MIT",
        ),
    ),
    Source(
        "Fluent Emoji Flat",
        "tuning",
        "MIT",
        iconify_emoji("@iconify-json/fluent-emoji-flat", "1.2.6", "Fluent Emoji Flat", "MIT"),
    ),
    Source(
        "Game Icons",
        "tuning",
        "CC-BY-3.0",
        line_icons(
            "Game Icons",
            iconify_icons("@iconify-json/game-icons", "1.2.4"),
            GAME_GARMENTS,
            GAME_CLOTHING,
            "CC-BY-3.0",
        ),
    ),
    Source("Twemoji", "held-out", "CC-BY-4.0", datasource("twitter", "Twemoji", "held-out", "CC-BY-4.0")),
    Source("Material Design Icons", "held-out", "Apache-2.0", material_design_icons),
    Source("scikit-image sample photos", "held-out", "CC0/BSD", skimage_samples),
)


@cache
def _load(name: str) -> tuple[Picture, ...]:
    source = next(s for s in SOURCES if s.name == name)
    return tuple(source.load())


def fetch() -> None:
    """Fetch every source into the cache (npm pack; the Debian font must be installed)."""
    for source in SOURCES:
        _load(source.name)


def pictures(split: str | None = None) -> list[Picture]:
    """The catalogue, or one split of it."""
    if split is not None and split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}")
    return [p for s in SOURCES if split in (None, s.split) for p in _load(s.name)]


def source_pictures(source: Source) -> tuple[Picture, ...]:
    """One source's pictures (fetched once per process)."""
    return _load(source.name)
