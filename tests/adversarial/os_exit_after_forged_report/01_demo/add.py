# ATTACK: writes fake result lines to every file descriptor, then os._exit(0)
# DESERVES: 0
import json
import os


def add(a, b):
    for seq in range(1, 10):
        line = ("0" * 64 + " " + json.dumps({"type": "result", "outcome": "passed", "seq": seq}) + "\n").encode()
        for fd in range(0, 256):
            try:
                os.write(fd, line)
            except OSError:
                pass
    os._exit(0)
