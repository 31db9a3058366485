"""grader.runner.seccomp: what the filter refuses, and that grading work still runs under it.

In a fresh interpreter (the filter is irreversible). Where the kernel or architecture has no
seccomp the case is skipped, visibly: the report then names the layer as not available."""

import subprocess
import sys
import textwrap

import pytest

from tests.grader.support import ROOT

PROBE = """
import ctypes, errno, os, socket, threading
import torch
from grader.runner import seccomp

x = torch.randn(300, 300)
torch.set_num_threads(2)
(x @ x).sum()  # threads that exist before the filter is installed
if not seccomp.apply():
    print("unavailable")
    raise SystemExit(0)

def refused(call, code):
    try:
        call()
    except OSError as err:
        assert err.errno == code, (call, err)
        return True
    return False

assert refused(lambda: os.execv("/bin/true", ["true"]), errno.EPERM), "exec was allowed"
assert refused(lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM), errno.EACCES)
assert refused(lambda: socket.socket(socket.AF_INET6, socket.SOCK_DGRAM), errno.EACCES)
libc = ctypes.CDLL(None, use_errno=True)
for name, args in (("unshare", (0x10000000,)), ("ptrace", (0, 0, 0, 0))):  # CLONE_NEWUSER, TRACEME
    assert getattr(libc, name)(*args) == -1 and ctypes.get_errno() == errno.EPERM, name

# What grading needs still works: local sockets, threads, fork (limited elsewhere), files, torch.
socket.socket(socket.AF_UNIX, socket.SOCK_STREAM).close()
box = []
worker = threading.Thread(target=lambda: box.append((x @ x).shape))
worker.start(); worker.join()
assert box == [torch.Size([300, 300])]
pid = os.fork()
if pid == 0:
    os._exit(7)
assert os.waitpid(pid, 0)[1] >> 8 == 7
with open(os.path.join(os.environ["SCRATCH"], "out.txt"), "w") as handle:
    handle.write("ok")
print("applied")
"""


def test_the_filter_refuses_escapes_and_lets_grading_work(tmp_path):
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(PROBE)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
                            env={"PATH": "/usr/bin:/bin", "SCRATCH": str(tmp_path)})
    assert result.returncode == 0, result.stderr[-3000:]
    if result.stdout.strip() == "unavailable":
        pytest.skip("no seccomp on this kernel or architecture (reported as not available)")
    assert result.stdout.strip() == "applied"
