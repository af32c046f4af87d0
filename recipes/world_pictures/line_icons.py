"""Line-icon sets drawn from SVG, each icon black on white: Phosphor and Tabler (outline and filled styles) and
Game Icons' silhouettes (an Iconify set), all from npm."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Callable, Iterable

from PIL import Image

from recipes.world_pictures.packages import iconify, npm, svg_to_png
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
    entries,
    png,
)

# Line-icon sets drawn from SVG (tuning part): icon name -> answers, clothing outside the ten, and the rest
# (one table of names for both sets; each draws those it has).
PHOSPHOR_GARMENTS: dict[str, tuple[str, ...]] = {
    "t-shirt": (TOP,),
    "shirt-folded": (SHIRT, TOP),
    "hoodie": (PULLOVER, COAT),
    "pants": (TROUSER,),
    "dress": (DRESS,),
    "sneaker": (SNEAKER,),
    "sneaker-move": (SNEAKER,),
    "high-heel": (SANDAL,),
    "boot": (BOOT,),
    "handbag": (BAG,),
    "handbag-simple": (BAG,),
    "backpack": (BAG,),
    "briefcase": (BAG,),
    "bag": (BAG,),
    "bag-simple": (BAG,),
    "shopping-bag": (BAG,),
    "suitcase": (BAG,),
}
PHOSPHOR_CLOTHING = (
    "sock",
    "baseball-cap",
    "cowboy-hat",
    "graduation-cap",
    "eyeglasses",
    "sunglasses",
    "goggles",
    "crown",
    "watch",
    "coat-hanger",
)
TABLER_GARMENTS: dict[str, tuple[str, ...]] = {
    "shirt": (TOP,),
    "shirt-sport": (TOP,),
    "jacket": (COAT,),
    "shoe": (SNEAKER,),
    "backpack": (BAG,),
    "briefcase": (BAG,),
    "briefcase-2": (BAG,),
    "shopping-bag": (BAG,),
    "paper-bag": (BAG,),
    "beach-bag": (BAG,),
}
TABLER_CLOTHING = ("sock", "tie", "sunglasses", "hanger", "chef-hat", "crown")
# Game Icons (silhouettes, one filled style): the ten kinds as its artists draw them for games.
GAME_GARMENTS: dict[str, tuple[str, ...]] = {
    "t-shirt": (TOP,),
    "polo-shirt": (TOP, SHIRT),
    "shirt": (SHIRT, COAT),
    "trousers": (TROUSER,),
    "hoodie": (PULLOVER, COAT),
    "dress": (DRESS,),
    "ample-dress": (DRESS,),
    "lab-coat": (COAT, SHIRT),
    "moncler-jacket": (COAT,),
    "pirate-coat": (COAT,),
    "sandal": (SANDAL,),
    "high-heel": (SANDAL,),
    "running-shoe": (SNEAKER,),
    "converse-shoe": (SNEAKER,),
    "boots": (BOOT,),
    "chelsea-boot": (BOOT,),
    "cowboy-boot": (BOOT,),
    "leather-boot": (BOOT,),
    "hand-bag": (BAG,),
    "duffel-bag": (BAG,),
    "backpack": (BAG,),
    "briefcase": (BAG,),
    "suitcase": (BAG,),
}
GAME_CLOTHING = (
    "socks",
    "gloves",
    "tie",
    "bow-tie",
    "sunglasses",
    "crown",
    "billed-cap",
    "graduate-cap",
    "belt",
    "skirt",
)
LINE_ICON_OTHERS: dict[str, str] = {
    "food": "apple orange pizza hamburger burger ice-cream cookie cake coffee cup wine glass-full carrot pepper "
    "avocado bread egg cheese cherry lemon mushroom",
    "animal": "fish dog cat rabbit horse bird butterfly bug cow pig spider paw-print bone fish-bone",
    "object": "guitar piano-keys piano device-mobile phone laptop device-laptop camera clock key hammer umbrella "
    "lightbulb bulb bell book-open book pencil anchor trophy soccer-ball ball-football basketball ball-basketball "
    "chair armchair bed lamp scissors television device-tv headphones gift balloon candle robot",
    "vehicle and building": "car bicycle bike airplane plane rocket bus train boat sailboat house home church "
    "castle-turret building-castle tent",
    "plant": "tree plant plant-2 flower cactus leaf",
    "person": "user person smiley mood-smile baby ghost skull alien",
    "symbol": "star heart music-note music lightning bolt fire flame drop droplet sun moon globe world "
    "question-mark question check arrow-right cloud snowflake flag",
}


def line_icons(
    source: str,
    svgs: Callable[[list[str]], dict[str, dict[str, bytes]]],
    garments: dict[str, tuple[str, ...]],
    clothing: Iterable[str],
    licence: str,
) -> Callable[[], list[Picture]]:
    """A set of SVG icons: ``svgs(names)`` gives each style's (outline, filled) SVG files of those names it has;
    each icon drawn black by cairosvg at 104x104 and centred on a white 128x128 canvas."""

    def load() -> list[Picture]:
        items = entries(garments, clothing, LINE_ICON_OTHERS)
        pictures = []
        for style, found in svgs([name for name, *_ in items]).items():
            for name, kind, category, labels in items:
                if name not in found:
                    continue
                drawn = svg_to_png(found[name], side=104)
                canvas = Image.new("RGBA", (128, 128), "white")
                canvas.alpha_composite(Image.open(io.BytesIO(drawn)).convert("RGBA"), (12, 12))
                data = png(canvas.convert("RGB"))
                pictures.append(Picture(source, f"{name} ({style})", kind, labels, category, "tuning", data, licence))
        return pictures

    return load


def npm_svgs(package: str, version: str, styles: dict[str, str]) -> Callable[[list[str]], dict[str, dict[str, bytes]]]:
    """An npm package of one SVG file per icon, each style a path pattern with the icon's ``{name}``."""

    def read(names: list[str]) -> dict[str, dict[str, bytes]]:
        with tarfile.open(npm(package, version)) as tar:
            members = set(tar.getnames())
            return {
                style: {
                    name: tar.extractfile(pattern.format(name=name)).read()
                    for name in names
                    if pattern.format(name=name) in members
                }
                for style, pattern in styles.items()
            }

    return read


def iconify_icons(package: str, version: str) -> Callable[[list[str]], dict[str, dict[str, bytes]]]:
    """An Iconify icon set (one filled style), read as ``line_icons`` reads a set."""

    def read(names: list[str]) -> dict[str, dict[str, bytes]]:
        svgs, _ = iconify(package, version)
        return {"filled": {name: svgs[name] for name in names if name in svgs}}

    return read
