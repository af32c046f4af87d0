"""Outline icon sets (black strokes on white) for the outline benchmark (bench/bench_outline.py): garments drawn as
line art, the way most icon sets and many students draw them. Not in ``SOURCES``: nothing is trained on them.

The split was fixed before any fill rule was tried, by set:

- tuning (the line-art test and the fill may be chosen on these): Tabler's and Phosphor's outline styles (already in
  the world catalogue's tuning part), Mingcute's line style and Iconoir (Iconify, npm);
- held-out (reported, never tuned on): Icon Park's outline set, Hugeicons (stroke style), Lucide and Remix Icon's
  line style (Iconify, npm).

Labels were set from the icons' names and then checked by eye on the drawings alone, before any answer was seen
(Hugeicons' "high-heels-01" is drawn as a sock and its "purse" as a wallet: left out).

Each set also draws what it has of the world catalogue's non-garments (``LINE_ICON_OTHERS``), so that the
benchmark can say whether filling outlines makes an outline apple look like a garment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from recipes.world_pictures.line_icons import (
    LINE_ICON_OTHERS,
    PHOSPHOR_GARMENTS,
    TABLER_GARMENTS,
    iconify_icons,
    line_icons,
    npm_svgs,
)
from recipes.world_pictures.picture import (
    BAG,
    BOOT,
    COAT,
    DRESS,
    PULLOVER,
    SANDAL,
    SHIRT,
    SNEAKER,
    TOP,
    TROUSER,
    Picture,
    Source,
)

MINGCUTE_GARMENTS: dict[str, tuple[str, ...]] = {
    "coat-line": (COAT,),
    "dress-line": (DRESS,),
    "shirt-line": (SHIRT, TOP),
    "t-shirt-line": (TOP,),
    "t-shirt-2-line": (TOP,),
    "trouser-line": (TROUSER,),
    "shoe-line": (SNEAKER,),
    "shoe-2-line": (SANDAL,),  # a high heel
    "backpack-line": (BAG,),
    "briefcase-line": (BAG,),
    "shopping-bag-1-line": (BAG,),
    "suitcase-line": (BAG,),
}
ICONOIR_GARMENTS: dict[str, tuple[str, ...]] = {
    "t-shirt": (TOP,),
    "women-t-shirt": (TOP,),
    "shirt": (SHIRT, TOP),
    "shirt-tank-top": (TOP,),
    "pants": (TROUSER,),
    "pants-pockets": (TROUSER,),
    "sandals": (SANDAL,),
    "handbag": (BAG,),
    "bag": (BAG,),
    "shopping-bag": (BAG,),
    "suitcase": (BAG,),
}
ICON_PARK_GARMENTS: dict[str, tuple[str, ...]] = {
    "t-shirt": (TOP,),
    "clothes-short-sleeve": (TOP,),
    "clothes-crew-neck": (PULLOVER,),
    "clothes-sweater": (PULLOVER,),
    "sweater": (PULLOVER,),
    "clothes-turtleneck": (PULLOVER,),
    "clothes-hoodie": (PULLOVER, COAT),
    "clothes-cardigan": (COAT, PULLOVER),
    "clothes-windbreaker": (COAT, PULLOVER),
    "men-jacket": (COAT, PULLOVER),  # drawn like a crew-neck sweater
    "women-coat": (COAT,),
    "clothes-suit": (COAT, SHIRT),
    "clothes-pants": (TROUSER,),
    "clothes-pants-sweat": (TROUSER,),
    "trousers-bell-bottoms": (TROUSER,),
    "full-dress-longuette": (DRESS,),
    "boots": (BOOT,),
    "sandals": (SANDAL,),
    "high-heeled-shoes": (SANDAL,),
    "handbag": (BAG,),
    "backpack": (BAG,),
    "briefcase": (BAG,),
    "shopping-bag": (BAG,),
}
HUGEICONS_GARMENTS: dict[str, tuple[str, ...]] = {
    "t-shirt": (TOP, SHIRT),  # a polo shirt
    "tank-top": (TOP,),
    "shirt-01": (SHIRT, TOP),
    "long-sleeve-shirt": (SHIRT, PULLOVER),
    "hoodie": (PULLOVER, COAT),
    "suit-01": (COAT, SHIRT),
    "jogger-pants": (TROUSER,),
    "dress-01": (DRESS,),
    "dress-02": (DRESS,),
    "dress-03": (DRESS,),
    "shoes": (SNEAKER,),
    "sneaker": (SNEAKER,),
    "running-shoes": (SNEAKER,),
    "sport-shoe": (SNEAKER,),
    "sandals": (SANDAL,),
    "armored-boot": (BOOT,),
    "handbag": (BAG,),
    "backpack-01": (BAG,),
    "briefcase-01": (BAG,),
    "shopping-bag-01": (BAG,),
}
LUCIDE_GARMENTS: dict[str, tuple[str, ...]] = {
    "shirt": (TOP,),
    "sport-shoe": (SNEAKER,),
    "handbag": (BAG,),
    "backpack": (BAG,),
    "briefcase": (BAG,),
    "shopping-bag": (BAG,),
}
REMIX_GARMENTS: dict[str, tuple[str, ...]] = {
    "shirt-line": (SHIRT, TOP),
    "t-shirt-line": (TOP,),
    "t-shirt-2-line": (TOP,),
    "handbag-line": (BAG,),
    "briefcase-line": (BAG,),
    "shopping-bag-line": (BAG,),
    "suitcase-line": (BAG,),
}


def _in_split(load: Callable[[], list[Picture]], split: str) -> Callable[[], list[Picture]]:
    """``line_icons`` names every picture "tuning"; a set here says its own split."""
    return lambda: [replace(picture, split=split) for picture in load()]


def _iconify_set(name: str, package: str, version: str, garments: dict[str, tuple[str, ...]], split: str) -> Source:
    load = line_icons(name, iconify_icons(package, version), garments, (), "see the package")
    return Source(name, split, "see the package", _in_split(load, split))


def _npm_set(name: str, package: str, version: str, pattern: str, garments: dict[str, tuple[str, ...]]) -> Source:
    load = line_icons(name, npm_svgs(package, version, {"outline": pattern}), garments, (), "MIT")
    return Source(name, "tuning", "MIT", load)


OUTLINE_SOURCES: tuple[Source, ...] = (
    _npm_set("Tabler outline", "@tabler/icons", "3.52.0", "package/icons/outline/{name}.svg", TABLER_GARMENTS),
    _npm_set(
        "Phosphor regular", "@phosphor-icons/core", "2.1.1", "package/assets/regular/{name}.svg", PHOSPHOR_GARMENTS
    ),
    _iconify_set("Mingcute line", "@iconify-json/mingcute", "1.2.8", MINGCUTE_GARMENTS, "tuning"),
    _iconify_set("Iconoir", "@iconify-json/iconoir", "1.2.11", ICONOIR_GARMENTS, "tuning"),
    _iconify_set("Icon Park outline", "@iconify-json/icon-park-outline", "1.2.4", ICON_PARK_GARMENTS, "held-out"),
    _iconify_set("Hugeicons", "@iconify-json/hugeicons", "1.2.35", HUGEICONS_GARMENTS, "held-out"),
    _iconify_set("Lucide", "@iconify-json/lucide", "1.2.137", LUCIDE_GARMENTS, "held-out"),
    _iconify_set("Remix Icon line", "@iconify-json/ri", "1.2.10", REMIX_GARMENTS, "held-out"),
)
OTHERS = LINE_ICON_OTHERS  # the non-garments each set draws, by the world catalogue's names
