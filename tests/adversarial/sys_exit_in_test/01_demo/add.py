# ATTACK: calls sys.exit(0) inside the function
# DESERVES: 0
import sys


def add(a, b):
    sys.exit(0)
