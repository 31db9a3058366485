# ATTACK: floods stdout and stderr
# DESERVES: 0
import sys


def add(a, b):
    chunk = "x" * 65536
    for _ in range(2000):
        sys.stdout.write(chunk)
        sys.stderr.write(chunk)
    return a - b
