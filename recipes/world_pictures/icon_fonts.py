"""Icon fonts drawn black on white, glyph by glyph: Font Awesome's free solid icons and Material Design Icons
(both from npm)."""

from __future__ import annotations

import io
import re
import tarfile
from collections.abc import Iterable

from PIL import Image, ImageDraw, ImageFont

from recipes.world_pictures.packages import npm
from recipes.world_pictures.picture import BAG, SANDAL, SNEAKER, TOP, Picture, entries, png

# Material Design Icons: icon name -> answers (garments), or its category (the rest).
MDI_GARMENTS: dict[str, tuple[str, ...]] = {
    "tshirt-crew": (TOP,),
    "tshirt-crew-outline": (TOP,),
    "tshirt-v": (TOP,),
    "tshirt-v-outline": (TOP,),
    "shoe-sneaker": (SNEAKER,),
    "shoe-heel": (SANDAL,),
    "purse": (BAG,),
    "purse-outline": (BAG,),
    "bag-personal": (BAG,),
    "bag-personal-outline": (BAG,),
    "briefcase": (BAG,),
    "briefcase-outline": (BAG,),
}
MDI_CLOTHING = ("tie", "hat-fedora", "glasses", "shoe-ballet", "shoe-cleat", "hanger")
MDI_OTHERS: dict[str, str] = {
    "food": "food-apple fruit-cherries fruit-pineapple fruit-watermelon carrot mushroom pizza hamburger ice-cream "
    "cookie cake coffee cup bottle-wine glass-wine",
    "animal": "dog cat rabbit horse fish duck pig penguin turtle bee butterfly owl elephant snail spider bone",
    "object": "guitar-acoustic piano cellphone laptop camera clock-outline key hammer umbrella lightbulb bell "
    "book-open-variant pencil anchor trophy teddy-bear soccer basketball tennis chair-rolling bed lamp "
    "scissors-cutting television headphones",
    "vehicle and building": "car car-side bike airplane rocket bus train ferry home church castle",
    "plant": "tree pine-tree flower cactus leaf",
    "person": "account human-male emoticon-happy baby-face",
    "symbol": "star heart music-note flash fire water weather-sunny moon-waning-crescent earth alphabetical "
    "numeric-5-box arrow-right-bold check-bold help",
}
# Font Awesome (free, solid): the same, by icon name.
FA_GARMENTS: dict[str, tuple[str, ...]] = {
    "shirt": (TOP,),
    "bag-shopping": (BAG,),
    "suitcase": (BAG,),
    "briefcase": (BAG,),
}
FA_CLOTHING = ("socks", "hat-cowboy", "hat-wizard", "glasses", "mitten", "vest", "user-tie")
FA_OTHERS: dict[str, str] = {
    "food": "apple-whole pizza-slice carrot lemon pepper-hot ice-cream cookie burger cake-candles wine-glass mug-hot",
    "animal": "dog cat fish horse crow dove frog hippo kiwi-bird otter spider bone",
    "object": "guitar mobile umbrella key lightbulb bell book futbol basketball camera clock laptop chair bed "
    "anchor trophy",
    "vehicle and building": "car rocket bicycle plane bus house",
    "plant": "tree seedling leaf",
    "person": "person child face-smile person-dress",
    "symbol": "star heart music bolt fire droplet sun moon earth-americas font question check arrow-right cloud",
}


def glyphs(
    source: str,
    split: str,
    licence: str,
    font_bytes: bytes,
    codes: dict[str, int],
    tables: tuple[dict[str, tuple[str, ...]], Iterable[str], dict[str, str]],
) -> list[Picture]:
    """An icon font's glyphs, black on white, as a 128x128 PNG each."""
    garments, clothing, others = tables
    font = ImageFont.truetype(io.BytesIO(font_bytes), 96)
    pictures = []
    for name, kind, category, labels in entries(garments, clothing, others):
        if name not in codes:
            continue
        canvas = Image.new("RGB", (128, 128), "white")
        ImageDraw.Draw(canvas).text((64, 64), chr(codes[name]), font=font, fill="black", anchor="mm")
        pictures.append(Picture(source, name, kind, labels, category, split, png(canvas), licence))
    return pictures


def material_design_icons() -> list[Picture]:
    """Material Design Icons' webfont, each glyph's code point read from the package's CSS."""
    with tarfile.open(npm("@mdi/font", "7.4.47")) as tar:
        css = tar.extractfile("package/css/materialdesignicons.css").read().decode()
        font_bytes = tar.extractfile("package/fonts/materialdesignicons-webfont.ttf").read()
    codes: dict[str, int] = {}
    for block in css.split(".mdi-")[1:]:
        name, _, rest = block.partition("::before")
        if 'content: "\\' in rest[:60]:
            codes[name] = int(rest.split('content: "\\', 1)[1].split('"', 1)[0], 16)
    tables = (MDI_GARMENTS, MDI_CLOTHING, MDI_OTHERS)
    return glyphs("Material Design Icons", "held-out", "Apache-2.0", font_bytes, codes, tables)


def font_awesome() -> list[Picture]:
    """Font Awesome's free solid webfont, each glyph's code point read from the package's icon metadata."""
    with tarfile.open(npm("@fortawesome/fontawesome-free", "7.3.1")) as tar:
        icons = tar.extractfile("package/metadata/icons.yml").read().decode()
        font_bytes = tar.extractfile("package/webfonts/fa-solid-900.woff2").read()
    found = re.findall(r"^([a-z0-9-]+):\n(?:(?:  .*)?\n)*?  unicode: ([0-9a-f]+)", icons, re.M)
    codes = {name: int(code, 16) for name, code in found}
    tables = (FA_GARMENTS, FA_CLOTHING, FA_OTHERS)
    return glyphs("Font Awesome", "tuning", "CC-BY-4.0 (icons)", font_bytes, codes, tables)
