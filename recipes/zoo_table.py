"""Write the model-zoo table of docs/models.md from the shipped artifacts' meta.json.

.venv/bin/python -m recipes.zoo_table        # prints it and updates docs/models.md between the markers
"""

from __future__ import annotations

import re

from core.models import store, zoo

PAGE = store.REPO_ROOT / "docs" / "models.md"
MARKER = re.compile(r"<!-- zoo-table -->.*?<!-- /zoo-table -->|<!-- zoo-table -->", re.S)


def table() -> str:
    rows = [
        "| architecture | source | published test accuracy | ours | parameters | epochs run | training time |",
        "|---|---|---|---|---|---|---|",
    ]
    shipped = {a.model_id: a for a in store.list_artifacts([store.SHIPPED_DIR]) if a.ok}
    for key, spec in zoo.ZOO.items():
        artifact = shipped.get(key)
        published = f"{spec.published_accuracy:.1%}" if spec.published_accuracy else "not given"
        if spec.key == "mlp_256_128_64_bn":
            published = "target ≥ 90%"
        if artifact is None:
            rows.append(f"| {spec.name} | {spec.source} | {published} | not shipped yet | | | |")
            continue
        meta = artifact.meta
        rows.append(
            f"| {spec.name} | {spec.source} | {published} | **{meta.test_accuracy:.2%}** | {meta.params:,} | "
            f"{meta.epochs_run} | {meta.train_seconds / 60:.1f} min |"
        )
    return "\n".join(rows)


def main() -> None:
    text = table()
    print(text)
    page = PAGE.read_text()
    PAGE.write_text(MARKER.sub(lambda _: f"<!-- zoo-table -->\n{text}\n<!-- /zoo-table -->", page, count=1))


if __name__ == "__main__":
    main()
