"""Train every architecture of the zoo with its published recipe into artifacts/.

    make zoo                                   # everything missing, in the order below
    .venv/bin/python -m recipes.train_zoo --only mlp_128 cnn_quick [--force]

Each model is saved as artifacts/<architecture key>/ by the same TrainingJob the app
uses (seed 42, full 60,000 training images, the spec's default hyperparameters), so
the shipped models are exactly what a learner gets by pressing Start with defaults.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from core import data  # noqa: E402
from core.models import store, zoo  # noqa: E402
from core.training import jobs  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", choices=list(zoo.ZOO), help="architectures to train (default: all)")
    parser.add_argument("--force", action="store_true", help="retrain even if artifacts/<key> exists")
    args = parser.parse_args(argv)
    dataset = data.load()
    for key in args.only or list(zoo.ZOO):
        target = store.SHIPPED_DIR / key
        if target.exists() and not args.force:
            print(f"{key}: already in artifacts/, skipped (use --force to retrain)", flush=True)
            continue
        spec = zoo.get_spec(key)

        def report(progress: jobs.Progress, key=key) -> None:
            if progress.batch == progress.batches_per_epoch and "val_loss" in progress.logs:
                logs = progress.logs
                print(
                    f"{key} epoch {progress.epoch}/{progress.epochs} {progress.seconds:.0f}s "
                    f"acc {logs['accuracy']:.4f} val_acc {logs['val_accuracy']:.4f}",
                    flush=True,
                )

        staging_root = store.SHIPPED_DIR / ".training"
        shutil.rmtree(staging_root, ignore_errors=True)
        staging_root.mkdir()
        previous = staging_root / "previous"
        if target.exists():  # moved aside, so the new model gets the key as its id
            os.rename(target, previous)
        result = jobs.TrainingJob(spec, spec.defaults, key, root=staging_root, on_progress=report).run(dataset)
        if result.state != jobs.DONE:
            if previous.exists():
                os.rename(previous, target)
            print(f"{key}: {result.message}", file=sys.stderr, flush=True)
            return 1
        os.rename(staging_root / result.model_id, target)
        shutil.rmtree(staging_root, ignore_errors=True)
        print(f"{key}: test accuracy {result.test_accuracy:.4f} in {result.seconds:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
