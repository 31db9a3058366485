# ATTACK: sends SIGKILL to its parent process (the grader)
# DESERVES: 0
import os
import signal


def add(a, b):
    os.kill(os.getppid(), signal.SIGKILL)
    return a + b
