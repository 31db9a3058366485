"""Generate a class of submissions for the batch benchmark (not committed data: made on demand).

Each student gets every kata's file, chosen by a seeded draw: the reference solution, the stub,
a mistake from the corpus, or (rarely) a crashing or hanging version.

    .venv/bin/python benchmarks/make_class.py OUT_DIR 100
"""

from __future__ import annotations

import random
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CRASH = "import os\n\n\ndef __getattr__(name):\n    os._exit(3)\n"
HANG = "def __getattr__(name):\n    while True:\n        pass\n"


def make_class(out: Path, students: int, seed: int = 0) -> Path:
    sys.path.insert(0, str(ROOT))
    from grader import corpus, manifest

    kit = manifest.load(ROOT / "katas.toml")
    draw = random.Random(seed)
    mistakes = {k.id: [c.path for c in corpus.cases_for(k) if c.kind == "mistake"] for k in kit.katas}
    out.mkdir(parents=True, exist_ok=True)
    for number in range(students):
        student = out / f"student{number:03d}"
        for kata in kit.katas:
            target = student / kata.relative_file()
            target.parent.mkdir(parents=True, exist_ok=True)
            roll = draw.random()
            if roll < 0.45:
                shutil.copyfile(kata.solution, target)
            elif roll < 0.65:
                shutil.copyfile(kata.exercise, target)
            elif roll < 0.985 and mistakes[kata.id]:
                shutil.copyfile(draw.choice(mistakes[kata.id]), target)
            elif roll < 0.995:
                target.write_text(CRASH)
            else:
                target.write_text(HANG)
    return out


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: make_class.py OUT_DIR N")
    print(make_class(Path(sys.argv[1]), int(sys.argv[2])))
