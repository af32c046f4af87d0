"""Pictures nobody here made: emoji, icons and sample photos that Debian, npm and PyPI packages ship.

    .venv/bin/python -m bench.world_pictures        # fetch every source and print the catalogue

Nothing is committed: each source is fetched at run time (``npm pack`` from the npm registry, a Debian
font, scikit-image's bundled sample photos) into the git-ignored ``bench/.world-cache/``, and each
picture records where it came from and under which licence.

The catalogue is split once, **by source**, into a *tuning* part (what the garment check may learn
from and what thresholds may be chosen on) and a *held-out* part (reported, never tuned on). No source
is in both:

- tuning: Noto Color Emoji (Debian ``fonts-noto-color-emoji``), Apple's emoji (npm
  ``emoji-datasource-apple``), Font Awesome's free solid icons (npm ``@fortawesome/fontawesome-free``,
  black icons on white), OpenMoji (npm ``openmoji``, SVG drawn by cairosvg; added 2026-12-04), and two sets
  of line icons, each in its outline and its filled style, black on white (added 2026-12-05): Phosphor
  (npm ``@phosphor-icons/core``) and Tabler (npm ``@tabler/icons``); Microsoft's Fluent Emoji, flat style, and
  Game Icons' silhouettes (both from Iconify's npm packages, ``@iconify-json/fluent-emoji-flat`` and
  ``@iconify-json/game-icons``, SVG drawn by cairosvg; added 2026-12-06);
- held-out: Twemoji (npm ``emoji-datasource-twitter``), Material Design Icons (npm ``@mdi/font``,
  black icons on white), scikit-image's sample photos (PyPI ``scikit-image``; none is a garment).

Each picture is a ``garment`` (one of the ten classes; ``labels`` are the answers that count as right
where a drawing fits two classes, e.g. a blouse), ``clothing`` outside the ten kinds (socks, a hat,
glasses: reported apart) or ``other`` (food, animals, objects, vehicles, people, symbols, scenes).
Only Phosphor draws something of the pullover kind (a hoodie, which may also be a Coat).
"""

from __future__ import annotations

import io
import subprocess
import tarfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

CACHE = Path(__file__).resolve().parent / ".world-cache"
NOTO_FONT = Path("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf")
SPLITS = ("tuning", "held-out")

TOP, TROUSER, PULLOVER, DRESS, COAT, SANDAL, SHIRT, SNEAKER, BAG, BOOT = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)

# Emoji of the ten kinds: character -> the answers that count as right.
GARMENT_EMOJI: dict[str, tuple[str, ...]] = {
    "\U0001f455": (TOP,),  # t-shirt
    "\U0001f45a": (TOP, SHIRT),  # woman's clothes (a blouse)
    "\U0001f456": (TROUSER,),  # jeans
    "\U0001f457": (DRESS,),  # dress
    "\U0001f9e5": (COAT,),  # coat
    "\U0001f97c": (COAT, SHIRT),  # lab coat
    "\U0001f454": (SHIRT,),  # necktie on a shirt
    "\U0001f45f": (SNEAKER,),  # running shoe
    "\U0001f461": (SANDAL,),  # woman's sandal
    "\U0001fa74": (SANDAL,),  # thong sandal
    "\U0001f460": (SANDAL,),  # high-heeled shoe
    "\U0001f462": (BOOT,),  # woman's boot
    "\U0001f97e": (BOOT,),  # hiking boot
    "\U0001f45c": (BAG,),  # handbag
    "\U0001f45b": (BAG,),  # purse
    "\U0001f45d": (BAG,),  # clutch bag
    "\U0001f392": (BAG,),  # backpack
    "\U0001f4bc": (BAG,),  # briefcase
    "\U0001f6cd": (BAG,),  # shopping bags (two)
}
CLOTHING_EMOJI = [
    "🧦",
    "🧤",
    "🧣",
    "🎩",
    "👒",
    "🧢",
    "👙",
    "🩱",
    "🩲",
    "🩳",
    "👘",
    "🥻",
    "👓",
    "🕶",
    "💍",
    "👑",
    "🪖",
    "⛑",
    "🎓",
    "🥽",
]
OTHER_EMOJI: dict[str, str] = {
    "food": "🍎 🍌 🍇 🍉 🍓 🍒 🍍 🥝 🥕 🌽 🍆 🥦 🍄 🍕 🍔 🌭 🍩 🍪 🎂 🍦 🥐 🧀 🍳",
    "animal": "🐶 🐱 🐭 🐰 🦊 🐻 🐼 🐸 🐵 🐔 🐧 🐦 🐟 🐬 🐳 🦋 🐌 🐞 🐢 🐍 🐘 🦒 🐴 🐙",
    "object": "⚽ 🏀 🏈 🎾 🎸 🎹 🎺 📱 💻 ⌚ 📷 ☎ 🔑 🔨 ✂ 🧸 🎁 ☂ ☕ 🍺 🪑 🛏 💡 📚 ✏ ⏰ 🔔 ⚓ 🏆",
    "vehicle and building": "🚗 🚲 ✈ 🚀 🚂 ⛵ 🏠 ⛪ 🏰",
    "plant": "🌳 🌵 🌻 🌹 🍁",
    "person": "😀 😎 👶 👩 👨 🧑 🏃 💃",
    "symbol": "❤ ⭐ 🔶 ➡ ✅ ❓ 🔤 🌈 🌙 ☀ ⚡ 🔥 💧 🌍",
}

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
SKIMAGE_PHOTOS: dict[str, str] = {
    "astronaut": "person",
    "camera": "person",
    "coffee": "food",
    "chelsea": "animal",
    "horse": "animal",
    "rocket": "vehicle and building",
    "hubble_deep_field": "scene",
    "immunohistochemistry": "scene",
    "retina": "scene",
    "coins": "object",
    "moon": "scene",
    "page": "symbol",
    "text": "symbol",
    "brick": "scene",
    "grass": "scene",
    "gravel": "scene",
    "clock": "object",
    "logo": "symbol",
    "colorwheel": "symbol",
}


@dataclass(frozen=True)
class Picture:
    source: str
    name: str
    kind: str  # "garment", "clothing" (outside the ten kinds) or "other"
    labels: tuple[str, ...]  # answers that count as right (garments only)
    category: str  # the class for garments, else food, animal, object, ...
    split: str
    data: bytes  # the file a user would upload
    licence: str


@dataclass(frozen=True)
class Source:
    name: str
    split: str
    licence: str
    load: Callable[[], Iterable[Picture]]


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _npm(package: str, version: str) -> Path:
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


def _emoji_hex(character: str) -> str:
    return "-".join(f"{ord(c):x}" for c in character if ord(c) != 0xFE0F)


def _emoji_items() -> list[tuple[str, str, str, tuple[str, ...]]]:
    """(character, kind, category, labels) of every emoji in the catalogue."""
    items = [(c, "garment", labels[0], labels) for c, labels in GARMENT_EMOJI.items()]
    items += [(c, "clothing", "clothing outside the ten", ()) for c in CLOTHING_EMOJI]
    items += [(c, "other", category, ()) for category, text in OTHER_EMOJI.items() for c in text.split()]
    return items


def _emoji_package(
    package: str, version: str, folder: str, source: str, split: str, licence: str, draw=None
) -> Callable[[], list[Picture]]:
    """An npm package of emoji files named by code point (``1f455.png``), those in ``folder``; ``draw``
    turns a file that is no picture yet (an SVG) into a PNG."""

    def load() -> list[Picture]:
        with tarfile.open(_npm(package, version)) as tar:
            members = {Path(m.name).stem.lower(): m for m in tar.getmembers() if folder in m.name}
            pictures = []
            for character, kind, category, labels in _emoji_items():
                code = _emoji_hex(character)
                member = members.get(code) or members.get(f"{code}-fe0f")
                if member is None:
                    continue
                data = tar.extractfile(member).read()
                data = draw(data) if draw else data
                pictures.append(Picture(source, f"emoji {code}", kind, labels, category, split, data, licence))
        return pictures

    return load


def _datasource(vendor: str, source: str, split: str, licence: str) -> Callable[[], list[Picture]]:
    return _emoji_package(f"emoji-datasource-{vendor}", "16.0.0", f"img/{vendor}/64/", source, split, licence)


def _svg_to_png(svg: bytes) -> bytes:
    """OpenMoji's SVG drawn at 128x128 on transparency (cairosvg, with Debian's libcairo2; no external files)."""
    import cairosvg  # requirements-dev.txt

    return cairosvg.svg2png(bytestring=svg, output_width=128, output_height=128)


def _line_icons(
    source: str,
    svgs: Callable[[list[str]], dict[str, dict[str, bytes]]],
    garments: dict[str, tuple[str, ...]],
    clothing: Iterable[str],
    licence: str,
) -> Callable[[], list[Picture]]:
    """A set of SVG icons: ``svgs(names)`` gives each style's (outline, filled) SVG files of those names it has;
    each icon drawn black by cairosvg at 104x104 and centred on a white 128x128 canvas."""

    def load() -> list[Picture]:
        import cairosvg  # requirements-dev.txt

        items = [(n, "garment", labels[0], labels) for n, labels in garments.items()]
        items += [(n, "clothing", "clothing outside the ten", ()) for n in clothing]
        items += [(n, "other", c, ()) for c, names in LINE_ICON_OTHERS.items() for n in names.split()]
        pictures = []
        for style, found in svgs([name for name, *_ in items]).items():
            for name, kind, category, labels in items:
                if name not in found:
                    continue
                drawn = cairosvg.svg2png(bytestring=found[name], output_width=104, output_height=104)
                canvas = Image.new("RGBA", (128, 128), "white")
                canvas.alpha_composite(Image.open(io.BytesIO(drawn)).convert("RGBA"), (12, 12))
                data = _png(canvas.convert("RGB"))
                pictures.append(Picture(source, f"{name} ({style})", kind, labels, category, "tuning", data, licence))
        return pictures

    return load


def _npm_svgs(package: str, version: str, styles: dict[str, str]) -> Callable[[list[str]], dict[str, dict[str, bytes]]]:
    """An npm package of one SVG file per icon, each style a path pattern with the icon's ``{name}``."""

    def read(names: list[str]) -> dict[str, dict[str, bytes]]:
        with tarfile.open(_npm(package, version)) as tar:
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


def _iconify(package: str, version: str) -> tuple[dict[str, bytes], dict[str, str]]:
    """An Iconify icon set (npm ``@iconify-json/...``): every icon as an SVG file, by name (aliases too),
    and its emoji names by code point (``chars.json``; empty for icon sets)."""
    import json

    with tarfile.open(_npm(package, version)) as tar:
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


def _iconify_icons(package: str, version: str) -> Callable[[list[str]], dict[str, dict[str, bytes]]]:
    def read(names: list[str]) -> dict[str, dict[str, bytes]]:
        svgs, _ = _iconify(package, version)
        return {"filled": {name: svgs[name] for name in names if name in svgs}}

    return read


def _iconify_emoji(package: str, version: str, source: str, licence: str) -> Callable[[], list[Picture]]:
    """An Iconify emoji set, each emoji found by its code point and drawn by cairosvg at 128x128 on transparency."""

    def load() -> list[Picture]:
        svgs, chars = _iconify(package, version)
        pictures = []
        for character, kind, category, labels in _emoji_items():
            code = _emoji_hex(character)
            name = chars.get(code) or chars.get(f"{code}-fe0f")
            if name in svgs:
                data = _svg_to_png(svgs[name])
                pictures.append(Picture(source, f"emoji {code}", kind, labels, category, "tuning", data, licence))
        return pictures

    return load


def _noto() -> list[Picture]:
    if not NOTO_FONT.exists():
        raise FileNotFoundError(f"{NOTO_FONT} (Debian package fonts-noto-color-emoji)")
    font = ImageFont.truetype(str(NOTO_FONT), 109)  # the one size this bitmap font has
    pictures = []
    for character, kind, category, labels in _emoji_items():
        canvas = Image.new("RGBA", (160, 160), (0, 0, 0, 0))
        text = character if len(character) > 1 or ord(character) > 0xFFFF else character + "\ufe0f"
        ImageDraw.Draw(canvas).text((16, 16), text, font=font, embedded_color=True)
        box = canvas.getbbox()
        if box is None:
            continue
        data = _png(canvas.crop(box))
        pictures.append(
            Picture(
                "Noto Color Emoji", f"emoji {_emoji_hex(character)}", kind, labels, category, "tuning", data, "OFL-1.1"
            )
        )
    return pictures


def _icons(
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
    items = [(n, "garment", labels[0], labels) for n, labels in garments.items()]
    items += [(n, "clothing", "clothing outside the ten", ()) for n in clothing]
    items += [(n, "other", category, ()) for category, names in others.items() for n in names.split()]
    pictures = []
    for name, kind, category, labels in items:
        if name not in codes:
            continue
        canvas = Image.new("RGB", (128, 128), "white")
        ImageDraw.Draw(canvas).text((64, 64), chr(codes[name]), font=font, fill="black", anchor="mm")
        pictures.append(Picture(source, name, kind, labels, category, split, _png(canvas), licence))
    return pictures


def _mdi() -> list[Picture]:
    with tarfile.open(_npm("@mdi/font", "7.4.47")) as tar:
        css = tar.extractfile("package/css/materialdesignicons.css").read().decode()
        font_bytes = tar.extractfile("package/fonts/materialdesignicons-webfont.ttf").read()
    codes: dict[str, int] = {}
    for block in css.split(".mdi-")[1:]:
        name, _, rest = block.partition("::before")
        if 'content: "\\' in rest[:60]:
            codes[name] = int(rest.split('content: "\\', 1)[1].split('"', 1)[0], 16)
    tables = (MDI_GARMENTS, MDI_CLOTHING, MDI_OTHERS)
    return _icons("Material Design Icons", "held-out", "Apache-2.0", font_bytes, codes, tables)


def _font_awesome() -> list[Picture]:
    import re

    with tarfile.open(_npm("@fortawesome/fontawesome-free", "7.3.1")) as tar:
        icons = tar.extractfile("package/metadata/icons.yml").read().decode()
        font_bytes = tar.extractfile("package/webfonts/fa-solid-900.woff2").read()
    found = re.findall(r"^([a-z0-9-]+):\n(?:(?:  .*)?\n)*?  unicode: ([0-9a-f]+)", icons, re.M)
    codes = {name: int(code, 16) for name, code in found}
    tables = (FA_GARMENTS, FA_CLOTHING, FA_OTHERS)
    return _icons("Font Awesome", "tuning", "CC-BY-4.0 (icons)", font_bytes, codes, tables)


def _skimage() -> list[Picture]:
    import skimage.data

    pictures = []
    for name, category in SKIMAGE_PHOTOS.items():
        try:
            pixels = np.asarray(getattr(skimage.data, name)())
        except Exception:  # a sample the installed version lacks or cannot read offline
            continue
        if pixels.dtype != np.uint8:
            pixels = (pixels > 0).astype(np.uint8) * 255 if pixels.dtype == bool else pixels.astype(np.uint8)
        data = _png(Image.fromarray(pixels[..., :3] if pixels.ndim == 3 else pixels))
        pictures.append(Picture("scikit-image sample photos", name, "other", (), category, "held-out", data, "CC0/BSD"))
    return pictures


SOURCES: tuple[Source, ...] = (
    Source("Noto Color Emoji", "tuning", "OFL-1.1", _noto),
    Source(
        "Apple emoji",
        "tuning",
        "Apple (fetched, never committed)",
        _datasource("apple", "Apple emoji", "tuning", "Apple (fetched, never committed)"),
    ),
    Source("Font Awesome", "tuning", "CC-BY-4.0 (icons)", _font_awesome),
    Source(
        "OpenMoji",
        "tuning",
        "CC-BY-SA-4.0",
        _emoji_package("openmoji", "17.0.0", "/color/svg/", "OpenMoji", "tuning", "CC-BY-SA-4.0", _svg_to_png),
    ),
    Source(
        "Phosphor Icons",
        "tuning",
        "MIT",
        _line_icons(
            "Phosphor Icons",
            _npm_svgs(
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
        _line_icons(
            "Tabler Icons",
            _npm_svgs(
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
        _iconify_emoji("@iconify-json/fluent-emoji-flat", "1.2.6", "Fluent Emoji Flat", "MIT"),
    ),
    Source(
        "Game Icons",
        "tuning",
        "CC-BY-3.0",
        _line_icons(
            "Game Icons",
            _iconify_icons("@iconify-json/game-icons", "1.2.4"),
            GAME_GARMENTS,
            GAME_CLOTHING,
            "CC-BY-3.0",
        ),
    ),
    Source("Twemoji", "held-out", "CC-BY-4.0", _datasource("twitter", "Twemoji", "held-out", "CC-BY-4.0")),
    Source("Material Design Icons", "held-out", "Apache-2.0", _mdi),
    Source("scikit-image sample photos", "held-out", "CC0/BSD", _skimage),
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


def main() -> None:
    from collections import Counter

    for source in SOURCES:
        counts = Counter(p.kind for p in _load(source.name))
        print(f"{source.split:9} {source.name:28} {dict(counts)}  ({source.licence})")


if __name__ == "__main__":
    main()
