# ATTACK: replaces the grader's own check functions with no-ops
# DESERVES: 0
import sys

checks = sys.modules.get("grader.checks")
if checks is not None:
    checks.assert_close = lambda *a, **k: None
    checks.expect = lambda *a, **k: None
    checks.fail = lambda *a, **k: None


def add(a, b):
    return a - b
