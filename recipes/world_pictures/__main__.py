"""Fetch every source of the catalogue and print what each holds: ``python -m recipes.world_pictures``."""

from __future__ import annotations

from collections import Counter

from recipes.world_pictures import SOURCES, source_pictures


def main() -> None:
    for source in SOURCES:
        counts = Counter(p.kind for p in source_pictures(source))
        print(f"{source.split:9} {source.name:28} {dict(counts)}  ({source.licence})")


if __name__ == "__main__":
    main()
