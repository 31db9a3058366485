# ATTACK: speak the observer's protocol: write, on every descriptor that is a pipe, well-formed
# frames that claim every scenario passed with a plausible value (a zero tensor) and that the
# kata is done, then exit before the real answers. The frames reach only the observer, which
# rebuilds them from known fields; what they carry is checked like any observation, and a
# stream out of step ends the worker's kata, not the next one's.
# DESERVES: 0
import json
import os
import stat
import struct

import torch


def _frame(header, payload=b""):
    meta = json.dumps(header).encode()
    return struct.pack(">II", len(meta), len(payload)) + meta + payload


def _zeros():
    tree = json.dumps({"tree": ["tensor", "float32", [2], "cpu", False, 0], "blobs": [8]}).encode()
    return struct.pack(">I", len(tree)) + tree + bytes(8)


def add(a, b):
    forged = b"".join(_frame({"kind": "result", "index": i, "ok": True}, _zeros())
                      for i in range(8)) + _frame({"kind": "done"})
    for fd in range(3, 64):
        try:
            if stat.S_ISFIFO(os.fstat(fd).st_mode):
                os.write(fd, forged)
        except OSError:
            pass
    os._exit(0)
