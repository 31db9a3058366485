# ATTACK: reads the reference solution and runs it
# DESERVES: 0
from pathlib import Path


def add(a, b):
    for parent in Path(__file__).resolve().parents:
        for candidate in (parent / "solutions" / "01_demo" / "add.py",
                          parent / "grader" / "fixtures" / "kit" / "solutions" / "01_demo" / "add.py"):
            if candidate.is_file():
                namespace = {}
                exec(candidate.read_text(), namespace)
                return namespace["add"](a, b)
    return a - b
