"""Public tests for 01_tensors/device: the basics. The hidden suite checks much more."""

import torch

from grader.checks import expect, expect_tensor, expect_type


def test_cpu_when_nothing_else(kata, monkeypatch):
    """falls back to the CPU when neither CUDA nor MPS is available"""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    device = expect_type(kata.best_device(), torch.device, "best_device()",
                         hint="return a torch.device, e.g. torch.device('cpu'), not a string")
    expect(device.type == "cpu", f"with no GPU the best device is the CPU, got {device}")


def test_moves_a_dict_of_tensors(kata):
    """moves every tensor of a dict and keeps the other values"""
    batch = {"x": torch.randn(2, 3), "y": torch.tensor([1, 0]), "name": "batch0"}
    moved = kata.to_device(batch, "meta")
    expect_type(moved, dict, "to_device's result for a dict", hint="return a dict for a dict")
    expect(list(moved) == ["x", "y", "name"], f"the keys changed: got {list(moved)}")
    expect_tensor(moved["x"], "moved['x']", shape=(2, 3), dtype=torch.float32, device="meta",
                  hint="each tensor should be moved with .to(device)")
    expect_tensor(moved["y"], "moved['y']", shape=(2,), dtype=torch.int64, device="meta",
                  hint="each tensor should be moved with .to(device), keeping its dtype")
    expect(moved["name"] == "batch0", "a value that is not a tensor should be kept as it is")
