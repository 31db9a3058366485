"""Convergence check (not a test): the toy training tasks of the hidden suites, with 20 seeds.

The hidden tests train with fixed seeds; this script re-runs the same training with 20 other
seeds on the reference solution and on every alternate in the corpus, and fails if any run
misses the accuracy the tests demand. Run it after changing a training kata:

    .venv/bin/python scripts/check_convergence.py [--seeds 20]
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# kata id -> [(the hidden suite's task function, channels, classes, steps, base seed, threshold)]
TASKS = {
    "04_architectures/simple_cnn": [("_quadrants", 1, 4, 20, 11, 0.90), ("_bars", 3, 2, 40, 12, 0.85)],
}


def load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    args = parser.parse_args()
    import torch

    from grader import corpus, manifest

    torch.set_num_threads(1)
    kit = manifest.load(ROOT / "katas.toml")
    failures = 0
    for kata_id, tasks in TASKS.items():
        kata = kit.get(kata_id)
        suite = load(kata.hidden_tests, "hidden_suite")
        candidates = [kata.solution] + [c.path for c in corpus.cases_for(kata) if c.kind == "alternate"]
        for candidate in candidates:
            module = load(candidate, "candidate")
            for task, channels, classes, steps, base, threshold in tasks:
                scores = [suite._train_and_score(module, getattr(suite, task), channels, classes,
                                                 steps=steps, seed=base + 1000 * (s + 1), device="cpu")
                          for s in range(args.seeds)]
                worst = min(scores)
                ok = worst >= threshold
                failures += not ok
                print(f"{'ok  ' if ok else 'FAIL'} {kata_id} {candidate.name:28} {task:11} "
                      f"min {worst:.3f} over {args.seeds} seeds (needs {threshold:.2f})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
