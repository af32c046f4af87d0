"""Emoji sources: the emoji of the ten kinds, clothing outside them and other things, as each emoji font or
package draws them (Noto Color Emoji from a Debian font; Apple's, Twemoji, OpenMoji and Fluent Emoji from npm)."""

from __future__ import annotations

import tarfile
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from recipes.world_pictures.packages import iconify, npm, svg_to_png
from recipes.world_pictures.picture import (
    BAG,
    BOOT,
    COAT,
    DRESS,
    SANDAL,
    SHIRT,
    SNEAKER,
    TOP,
    TROUSER,
    Entry,
    Picture,
    entries,
    png,
)

NOTO_FONT = Path("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf")

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


def emoji_hex(character: str) -> str:
    """The emoji's code points as files name them (``1f455``), without the emoji variation selector."""
    return "-".join(f"{ord(c):x}" for c in character if ord(c) != 0xFE0F)


def emoji_entries() -> list[Entry]:
    """(character, kind, category, labels) of every emoji in the catalogue."""
    return entries(GARMENT_EMOJI, CLOTHING_EMOJI, OTHER_EMOJI)


def emoji_package(
    package: str,
    version: str,
    folder: str,
    source: str,
    split: str,
    licence: str,
    draw: Callable[[bytes], bytes] | None = None,
) -> Callable[[], list[Picture]]:
    """An npm package of emoji files named by code point (``1f455.png``), those in ``folder``; ``draw``
    turns a file that is no picture yet (an SVG) into a PNG."""

    def load() -> list[Picture]:
        with tarfile.open(npm(package, version)) as tar:
            members = {Path(m.name).stem.lower(): m for m in tar.getmembers() if folder in m.name}
            pictures = []
            for character, kind, category, labels in emoji_entries():
                code = emoji_hex(character)
                member = members.get(code) or members.get(f"{code}-fe0f")
                if member is None:
                    continue
                data = tar.extractfile(member).read()
                data = draw(data) if draw else data
                pictures.append(Picture(source, f"emoji {code}", kind, labels, category, split, data, licence))
        return pictures

    return load


def datasource(vendor: str, source: str, split: str, licence: str) -> Callable[[], list[Picture]]:
    """One vendor's 64x64 PNG emoji from npm's ``emoji-datasource-<vendor>``."""
    return emoji_package(f"emoji-datasource-{vendor}", "16.0.0", f"img/{vendor}/64/", source, split, licence)


def iconify_emoji(package: str, version: str, source: str, licence: str) -> Callable[[], list[Picture]]:
    """An Iconify emoji set, each emoji found by its code point and drawn by cairosvg at 128x128 on transparency."""

    def load() -> list[Picture]:
        svgs, chars = iconify(package, version)
        pictures = []
        for character, kind, category, labels in emoji_entries():
            code = emoji_hex(character)
            name = chars.get(code) or chars.get(f"{code}-fe0f")
            if name in svgs:
                data = svg_to_png(svgs[name])
                pictures.append(Picture(source, f"emoji {code}", kind, labels, category, "tuning", data, licence))
        return pictures

    return load


def noto() -> list[Picture]:
    """Debian's colour emoji font, each emoji drawn at the font's one size and cropped to what it covers."""
    if not NOTO_FONT.exists():
        raise FileNotFoundError(f"{NOTO_FONT} (Debian package fonts-noto-color-emoji)")
    font = ImageFont.truetype(str(NOTO_FONT), 109)  # the one size this bitmap font has
    pictures = []
    for character, kind, category, labels in emoji_entries():
        canvas = Image.new("RGBA", (160, 160), (0, 0, 0, 0))
        text = character if len(character) > 1 or ord(character) > 0xFFFF else character + "\ufe0f"
        ImageDraw.Draw(canvas).text((16, 16), text, font=font, embedded_color=True)
        box = canvas.getbbox()
        if box is None:
            continue
        data = png(canvas.crop(box))
        pictures.append(
            Picture(
                "Noto Color Emoji", f"emoji {emoji_hex(character)}", kind, labels, category, "tuning", data, "OFL-1.1"
            )
        )
    return pictures
