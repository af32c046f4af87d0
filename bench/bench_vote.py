"""What a vote of the best N shipped models scores on the test set, for every N (why the app votes with 3).

    .venv/bin/python -m bench.bench_vote

Reads the shipped models' cached test probabilities (nothing is trained or run), averages those of
the best N by saved test accuracy, exactly as ``core.understand.vote`` does, and writes bench/results/vote.md.
"""

from __future__ import annotations

from pathlib import Path

from core import data
from core.models import store
from core.understand import evaluation as ev
from core.understand import vote

RESULTS = Path(__file__).parent / "results" / "vote.md"


def main() -> int:
    dataset = data.load()
    shipped = [a for a in store.list_artifacts([store.SHIPPED_DIR]) if a.ok and a.meta is not None]
    ranked = sorted(shipped, key=lambda a: (-a.meta.test_accuracy, a.model_id))
    evaluations = {a.model_id: ev.evaluate(a, dataset.x_test, dataset.y_test) for a in ranked}
    chosen = [a.model_id for a in vote.members(shipped)]
    lines = [
        "# All models vote: the best N shipped models averaged",
        "",
        "Command: `.venv/bin/python -m bench.bench_vote` (the shipped models' cached test probabilities, averaged"
        " as `core.understand.vote` does; nothing is trained). The app votes with the best "
        f"{vote.MEMBERS}: {', '.join(chosen)}.",
        "",
        "| N | the N-th model added | its own accuracy | the vote's accuracy | Shirt recall of the vote |",
        "|---|---|---|---|---|",
    ]
    for count in range(1, len(ranked) + 1):
        members = [evaluations[a.model_id] for a in ranked[:count]]
        result = vote.evaluation(members)
        shirt = result.report.set_index("class").at["Shirt", "recall"]
        added = members[-1]
        marker = " (the app's)" if count == vote.MEMBERS else ""
        lines.append(
            f"| {count}{marker} | {added.model_id} | {added.accuracy:.2%} | {result.accuracy:.2%} | {shirt:.1%} |"
        )
    lines += [
        "",
        "Reading: the vote of 3 beats every member but the best, which alone is still better: one model far ahead",
        "of the others gains nothing from their averaged opinion, and no vote of more models beats the three.",
        "Predict pays nothing extra for it (the members' answers are averaged, no model runs twice).",
    ]
    RESULTS.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
