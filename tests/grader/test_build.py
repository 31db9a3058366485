"""make_stub is pure text -> text: golden-tested, and its errors name the line."""

import pytest

from grader.build import StubError, find_regions, make_stub

SOLUTION = '''"""Doc."""
import torch


class Thing:
    def forward(self, x):
        """Say what."""
        ### BEGIN SOLUTION
        # TODO: double x.
        # TODO: keep its dtype.
        y = x * 2
        return y
        ### END SOLUTION


def helper(a):
    return a


def top(x):
    if x is None:
        return None
    ### BEGIN SOLUTION
    # TODO: add one.
    return x + 1
    ### END SOLUTION
'''

STUB = '''# Generated from solutions/09_demo/thing.py by `python -m grader build` (2 to do): replace each NotImplementedError.
"""Doc."""
import torch


class Thing:
    def forward(self, x):
        """Say what."""
        # TODO: double x.
        # TODO: keep its dtype.
        raise NotImplementedError("09_demo/thing: Thing.forward() is not implemented yet: replace this line with your code")


def helper(a):
    return a


def top(x):
    if x is None:
        return None
    # TODO: add one.
    raise NotImplementedError("09_demo/thing: top() is not implemented yet: replace this line with your code")
'''


def test_make_stub_golden():
    assert make_stub(SOLUTION, "09_demo/thing") == STUB


def test_make_stub_is_deterministic_and_compiles():
    stub = make_stub(SOLUTION, "09_demo/thing")
    assert stub == make_stub(SOLUTION, "09_demo/thing")
    compile(stub, "stub.py", "exec")


def test_regions_know_their_owner_and_todo():
    regions = find_regions(SOLUTION)
    assert [r.owner for r in regions] == ["Thing.forward", "top"]
    assert regions[0].todo == ("# TODO: double x.", "# TODO: keep its dtype.")
    assert regions[1].body == ("return x + 1",)


@pytest.mark.parametrize("text, words", [
    ("def f():\n    ### BEGIN SOLUTION\n    pass\n", "never closed"),
    ("def f():\n    ### END SOLUTION\n", "without a ### BEGIN SOLUTION"),
    ("def f():\n    ### BEGIN SOLUTION\n    ### BEGIN SOLUTION\n", "inside another"),
    ("def f():\n    pass\n", "nothing for the learner to write"),
])
def test_malformed_regions_name_the_problem(text, words):
    with pytest.raises(StubError, match=words):
        make_stub(text, "09_demo/x")


def test_build_check_and_edits_are_kept(tmp_path):
    from grader import build, manifest

    (tmp_path / "solutions" / "09_demo").mkdir(parents=True)
    (tmp_path / "solutions" / "09_demo" / "thing.py").write_text(SOLUTION)
    (tmp_path / "katas.toml").write_text(
        'format = 1\n[[kata]]\nid = "09_demo/thing"\ntitle = "T"\ntopic = "t"\npoints = 1\nhints = ["h"]\n')
    m = manifest.load(tmp_path / "katas.toml")
    assert build.build(m, check=True)[0].action == "stale"
    assert build.build(m)[0].action == "written"
    assert build.build(m, check=True)[0].action == "unchanged"
    exercise = tmp_path / "exercises" / "09_demo" / "thing.py"
    exercise.write_text(exercise.read_text().replace(
        'raise NotImplementedError("09_demo/thing: top()', 'return x + 1  # mine\n    #', 1))
    (tmp_path / "solutions" / "09_demo" / "thing.py").write_text(SOLUTION.replace('"""Doc."""', '"""Doc 2."""'))
    assert build.build(m)[0].action == "kept-edits"  # a learner's work is never overwritten
    assert "# mine" in exercise.read_text()
    assert build.build(m, force=True)[0].action == "written"
