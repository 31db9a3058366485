# ATTACK: copies another student's submission from a sibling folder
# DESERVES: 0
from pathlib import Path


def add(a, b):
    mine = Path(__file__).resolve().parents[1]
    for sibling in sorted(mine.parent.iterdir()):
        candidate = sibling / "01_demo" / "add.py"
        if sibling != mine and candidate.is_file() and "a + b" in candidate.read_text():
            namespace = {}
            exec(candidate.read_text(), namespace)
            return namespace["add"](a, b)
    return a - b
