"""grader.observe (what crosses from a scenario to its check) and the observer's framing."""

import dataclasses
import json
import os
import pickle
import shutil
import struct
import subprocess
import sys
import time

import pytest
import torch

from grader import lint, manifest
from grader.observe import (BadObservation, Opaque, Request, pack, request_for, scenario,
                            unpack)
from grader.runner.doer import FrameReader, _write_frame
from tests.grader.forge_plugin import vacuous_containers
from tests.grader.support import FIXTURE_KIT, ROOT


def roundtrip(value):
    return unpack(pack(value))


def test_plain_data_crosses_as_it_was():
    leaf = torch.ones(2, requires_grad=True)
    seen = roundtrip({"t": leaf * 2, "p": torch.nn.Parameter(torch.zeros(3)), "n": [1, 2.5, None],
                      "s": "x", "size": torch.Size([2, 3]), "dtype": torch.float16,
                      "meta": torch.empty(4, device="meta")})
    assert type(seen["t"]) is torch.Tensor and seen["t"].requires_grad
    assert torch.equal(seen["t"].detach(), torch.full((2,), 2.0))
    assert type(seen["p"]) is torch.Tensor  # a Parameter arrives as a plain tensor
    assert seen["n"] == [1, 2.5, None] and seen["s"] == "x" and seen["size"] == (2, 3)
    assert seen["dtype"] is torch.float16 and seen["meta"].device.type == "meta"


def test_objects_cross_as_their_type_name_only():
    class Liar:
        def __eq__(self, other):
            return True

    seen = roundtrip({"model": torch.nn.Linear(2, 2), "liar": Liar(), "odd_keys": {(1, 2): 3},
                      "set": {1, 2}})
    assert seen["model"] == Opaque("torch.nn.modules.linear.Linear")
    assert isinstance(seen["liar"], Opaque) and "Liar" in seen["liar"].type_name
    assert isinstance(seen["odd_keys"], Opaque) and seen["set"] == Opaque("set")


def forged(tree, *blobs):
    head = json.dumps({"tree": tree, "blobs": [len(b) for b in blobs]}).encode()
    return struct.pack(">I", len(head)) + head + b"".join(blobs)


@pytest.mark.parametrize("data", [
    pickle.dumps(os.getcwd, protocol=2),  # a pickle: never loaded as one
    b"not an observation at all",
    forged(["tensor", "float32", [2], "cpu", False, 0], b"\0" * 4),  # bytes short of the shape
    forged(["tensor", "Tensor", [1], "cpu", False, 0], b"\0" * 4),  # not a dtype
    forged(["tensor", "float32", [1], "xla", False, 0], b"\0" * 4),  # not a device here
    forged(["set", [1, 2]]),  # a tag plain data never has
    forged(["dict", [[[1], 2]]]),  # a key that is not a str or int
    forged(["bytes", 3]),  # a blob that is not there
    forged(["list", [1]]) + b"trailing",  # sizes that do not add up
    forged(["list", [["list", [["list", []]]]]] * 1)[:-3],  # cut short
], ids=["pickle", "garbage", "short", "dtype", "device", "tag", "key", "blob", "trailing",
        "truncated"])
def test_anything_but_plain_data_is_refused(data):
    with pytest.raises(BadObservation):
        unpack(data)


def test_deep_or_huge_structures_are_refused():
    deep = 5
    for _ in range(100):
        deep = ["list", [deep]]
    with pytest.raises(BadObservation):
        unpack(forged(deep))
    with pytest.raises(BadObservation):
        unpack(forged(["list", list(range(200_000))]))


class FakeTensor(torch.Tensor):
    pass


def test_a_tensor_subclass_crosses_as_its_type_name():
    seen = roundtrip(torch.ones(2).as_subclass(FakeTensor))
    assert isinstance(seen, Opaque) and seen.type_name.endswith("FakeTensor")


def test_requests_carry_the_check_parameters_the_scenario_takes():
    @scenario
    def doubles(kata, device, lr):
        return None

    wanted = request_for(doubles, "doubles", {"device": "cpu", "lr": 0.5, "other": 1})
    assert wanted == Request("doubles", (("device", "cpu"), ("lr", 0.5)))
    with pytest.raises(LookupError, match="lr"):
        request_for(doubles, "doubles", {"device": "cpu"})
    with pytest.raises(LookupError, match="cannot be sent"):
        request_for(doubles, "doubles", {"device": "cpu", "lr": lambda: 1})


def test_frames_from_a_hostile_writer_are_bounded_and_checked():
    read, write = os.pipe()
    try:
        _write_frame(write, {"kind": "result", "index": 0, "ok": True}, b"payload")
        os.write(write, b"\xff" * 8 + b"junk")  # a header length far beyond the limit
        reader = FrameReader(read)
        header, payload = reader.read(time.monotonic() + 5)
        assert header == {"kind": "result", "index": 0, "ok": True} and payload == b"payload"
        assert reader.read(time.monotonic() + 5)[0] == {"kind": "garbled"}
    finally:
        os.close(read)
        os.close(write)


def test_lint_refuses_a_hidden_check_that_runs_the_submission(tmp_path):
    kit = manifest.load()
    kata = kit.get("02_autograd/sgd")
    assert lint.checks_beside_submission(kata) == []
    copy = tmp_path / "tests" / "hidden" / "02_autograd"
    copy.mkdir(parents=True)
    (copy / "test_sgd.py").write_text("def test_x(kata):\n    kata.sgd_step([], lr=1)\n")
    moved = manifest.load()
    moved_kata = dataclasses.replace(moved.get("02_autograd/sgd"), root=tmp_path)
    [problem] = lint.checks_beside_submission(moved_kata)
    assert "must take `observed`, not `kata`" in problem


def test_the_forge_plugin_flags_checks_that_pass_on_an_emptied_container():
    observed = {"items": [1, 2], "n": 1, "nested": {"a": [3]}}

    def loops(observed):
        for x in observed["items"]:
            assert x > 0

    def counts(observed):
        assert len(observed["items"]) == 2 and all(x > 0 for x in observed["items"])

    def ignores_items(observed):
        assert observed["n"] == 1

    def deep(observed):
        assert all(v >= 3 for v in observed["nested"]["a"])

    assert vacuous_containers(loops, {}, observed) == ["observed['items']"]
    assert vacuous_containers(counts, {}, observed) == []
    assert vacuous_containers(ignores_items, {}, observed) == []
    assert vacuous_containers(deep, {}, observed) == ["observed['nested']['a']"]


def test_a_check_that_asks_for_kata_never_runs_the_submission_beside_it(tmp_path):
    """Even where lint was skipped: in a grading child, a kata with scenarios never imports the
    submission into the checks' process."""
    kit = tmp_path / "kit"
    shutil.copytree(FIXTURE_KIT, kit)
    checks = kit / "tests" / "hidden" / "01_demo" / "test_add.py"
    checks.write_text(checks.read_text() + (
        "\n\ndef test_sneaky(kata):\n"
        "    assert kata.add(torch.ones(1), torch.ones(1)).item() == 2.0\n"))
    done = subprocess.run(
        [sys.executable, "-m", "grader", "--manifest", str(kit / "katas.toml"), "grade",
         str(kit / "solutions"), "--format", "json"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr[-2000:]
    add = json.loads(done.stdout)["katas"][0]
    sneaky = next(t for t in add["tests"] if t["id"].endswith("test_sneaky"))
    assert sneaky["outcome"] == "failed" and "asked for `kata`" in sneaky["message"]
    assert sum(t["outcome"] == "passed" for t in add["tests"]) == 3  # the others as ever
