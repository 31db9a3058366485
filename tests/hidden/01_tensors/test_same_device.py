"""Hidden tests for 01_tensors/same_device."""

import pytest
import torch
from torch import nn

from grader.checks import assert_close, expect, expect_tensor, expect_type, explain, manual_seed

ERRORS = {
    r"not on the expected device|same device|Expected all tensors to be on":
        "a new tensor was made on the CPU beside an input on another device: create it with "
        "device=x.device (or x.new_ones(...), torch.ones_like(x)), never on the default device",
    r"Torch not compiled with CUDA|no NVIDIA driver|No CUDA GPUs":
        "the device was hard-coded ('cuda'): take it from the input (x.device) or the model",
    r"has no attribute 'device'":
        "an nn.Module has no .device attribute: ask its parameters, "
        "next(model.parameters()).device",
    r"StopIteration":
        "this model has no parameters, so next(model.parameters()) raised StopIteration: use "
        "next(model.parameters(), None), then fall back to its buffers, then the CPU",
    r"'Tensor' object has no attribute 'items'":
        "a batch may be a single tensor as well as a dict: check isinstance(batch, torch.Tensor)",
}


def _randn(seed, *shape, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g).to(dtype)


def _bias(kata, x):
    with explain(ERRORS):
        return kata.add_bias_column(x)


def _positions(kata, tokens):
    with explain(ERRORS):
        return kata.positions_for(tokens)


def _model_device(kata, model):
    with explain(ERRORS):
        return kata.model_device(model)


def _batch(kata, batch, model):
    with explain(ERRORS):
        return kata.batch_to_model(batch, model)


class Normalizer(nn.Module):
    """A module with buffers but no parameters."""

    def __init__(self, device):
        super().__init__()
        self.register_buffer("mean", torch.zeros(3, device=device))
        self.register_buffer("std", torch.ones(3, device=device))

    def forward(self, x):
        return (x - self.mean) / self.std


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16])
def test_bias_column_values(kata, device, dtype):
    """appends a column of ones, keeping x's dtype and device"""
    for seed, shape in enumerate([(4, 3), (1, 7), (6, 1)]):
        x = _randn(seed, *shape, dtype=dtype).to(device)
        before = x.clone()
        expected = torch.cat([x, torch.ones(shape[0], 1, dtype=dtype, device=device)], dim=1)
        assert_close(_bias(kata, x), expected, what=f"add_bias_column(x) for a {dtype} x of shape {shape}",
                     hint="the column of ones must have x's dtype and device (x.new_ones(n, 1), or "
                          "torch.ones(n, 1, dtype=x.dtype, device=x.device)): a float32 column "
                          "changes the dtype of the result")
        assert_close(x, before, what="x after add_bias_column", hint="x itself must not be changed")


@pytest.mark.parametrize("dtype", [torch.float16, torch.float64])
def test_bias_column_on_another_device(kata, dtype):
    """makes the column on x's device (meta here), not on the CPU"""
    x = torch.empty(5, 4, dtype=dtype, device="meta")
    expect_tensor(_bias(kata, x), "add_bias_column(meta x)", shape=(5, 5), dtype=dtype,
                  device="meta",
                  hint="create the ones on x's device and with x's dtype: device=x.device, "
                       "dtype=x.dtype (or x.new_ones)")


def test_bias_column_keeps_the_graph(kata):
    """keeps the result connected to x's autograd graph"""
    x = _randn(2, 3, 2).requires_grad_()
    out = _bias(kata, x)
    expect_tensor(out, "add_bias_column(x)", shape=(3, 3), requires_grad=True,
                  hint="the result lost x's graph: build it from x with torch.cat, do not detach "
                       "or copy through NumPy or torch.tensor()")
    out.sum().backward()
    assert_close(x.grad, torch.ones(3, 2), what="x.grad after add_bias_column(x).sum().backward()",
                 hint="gradients should flow back to x through torch.cat")


def test_positions_values(kata, device):
    """positions[b, t] == t, as int64, on the tokens' device"""
    for shape in [(2, 5), (3, 1), (1, 8), (4, 4)]:
        g = torch.Generator().manual_seed(shape[0] * 10 + shape[1])
        tokens = torch.randint(0, 50, shape, generator=g).to(device)
        before = tokens.clone()
        expected = torch.arange(shape[1], device=device).repeat(shape[0], 1)
        assert_close(_positions(kata, tokens), expected,
                     what=f"positions_for(tokens of shape {shape})",
                     hint="positions count along the sequence (dim 1, length T = tokens.shape[1]) "
                          "and repeat for every row of the batch: torch.arange(T, "
                          "device=tokens.device) expanded to (B, T), as int64 (positions are indices)")
        assert_close(tokens, before, what="tokens after positions_for",
                     hint="tokens must not be changed")


def test_positions_on_another_device(kata):
    """makes the positions on the tokens' device (meta here), as int64"""
    tokens = torch.empty(3, 6, dtype=torch.int64, device="meta")
    expect_tensor(_positions(kata, tokens), "positions_for(meta tokens)", shape=(3, 6),
                  dtype=torch.int64, device="meta",
                  hint="torch.arange makes a CPU tensor unless told otherwise: pass "
                       "device=tokens.device")


def test_model_device_of_parameters(kata, device):
    """returns the device of a model's parameters, as a torch.device"""
    for model in (nn.Linear(3, 2, device="meta"), nn.Sequential(nn.Linear(4, 4), nn.ReLU()).to(device)):
        want = next(model.parameters()).device
        got = expect_type(_model_device(kata, model), torch.device, "model_device(model)",
                          hint="return a torch.device (parameter.device), not a string or its .type")
        expect(got == want, f"the model's parameters are on {want}, got {got}: ask the model "
               "(next(model.parameters()).device), do not guess from torch.cuda.is_available()")


def test_model_device_without_parameters(kata):
    """uses the buffers of a model without parameters, and the CPU for a model with neither"""
    got = _model_device(kata, Normalizer("meta"))
    expect(type(got) is torch.device and got.type == "meta",
           f"a model with only buffers (on meta) is on meta, got {got!r}: when "
           "model.parameters() is empty, use the first of model.buffers()")
    got = _model_device(kata, nn.ReLU())
    expect(type(got) is torch.device and got.type == "cpu",
           f"a model without parameters or buffers should give torch.device('cpu'), got {got!r}")


@pytest.mark.parametrize("model_dtype", [torch.float64, torch.float16])
def test_batch_tensor(kata, model_dtype):
    """moves a tensor batch to the model's device and dtype"""
    model = nn.Linear(3, 2, device="meta", dtype=model_dtype)
    x = _randn(3, 4, 3)
    expect_tensor(_batch(kata, x, model), "batch_to_model(tensor, model)", shape=(4, 3),
                  dtype=model_dtype, device="meta",
                  hint="a floating batch must go to the model's device and take the dtype of its "
                       "parameters: x.to(device=..., dtype=param.dtype)")
    expect(x.device.type == "cpu" and x.dtype == torch.float32,
           "the input batch changed: .to() returns a new tensor, use that")


def test_batch_dict_keeps_integer_dtypes(kata):
    """moves every tensor of a dict; labels and masks keep their integer/bool dtype"""
    model = nn.Linear(3, 2, device="meta", dtype=torch.float64)
    g = torch.Generator().manual_seed(4)
    batch = {"x": _randn(5, 4, 3), "y": torch.randint(0, 2, (4,), generator=g),
             "mask": torch.ones(4, dtype=torch.bool), "ids": torch.arange(4, dtype=torch.int32)}
    kept = dict(batch)
    moved = _batch(kata, batch, model)
    expect_type(moved, dict, "batch_to_model(dict, model)", hint="return a dict for a dict batch")
    expect(list(moved) == list(batch), f"the keys changed: got {list(moved)}, expected {list(batch)}")
    expect_tensor(moved["x"], "moved['x']", shape=(4, 3), dtype=torch.float64, device="meta",
                  hint="floating tensors go to the model's device and dtype")
    for name in ("y", "mask", "ids"):
        expect_tensor(moved[name], f"moved[{name!r}]", shape=tuple(batch[name].shape),
                      dtype=batch[name].dtype, device="meta",
                      hint="integer and bool tensors (labels, ids, masks) keep their dtype: move "
                           "them with .to(device) only; convert only t.is_floating_point() ones")
    expect(all(batch[k] is kept[k] for k in kept) and len(batch) == len(kept),
           "the input dict was changed: build a new dict instead of assigning into the batch")


def test_batch_to_model_on_device(kata, device):
    """moves a CPU batch to a model on the test device, values kept"""
    manual_seed(5)
    model = nn.Linear(3, 2).to(device)
    batch = {"x": _randn(6, 2, 3), "y": torch.tensor([1, 0])}
    moved = _batch(kata, batch, model)
    expect_type(moved, dict, "batch_to_model(dict, model)", hint="return a dict for a dict batch")
    assert_close(moved["x"], batch["x"].to(device), what="moved['x']",
                 hint="the batch must be on the model's device with its values unchanged")
    assert_close(moved["y"], batch["y"].to(device), what="moved['y']",
                 hint="labels must be on the model's device and keep their int64 dtype")


def test_batch_for_a_model_without_parameters(kata):
    """moves a batch to a buffer-only model without changing dtypes"""
    model = Normalizer("meta")
    x = _randn(7, 2, 3, dtype=torch.float64)
    expect_tensor(_batch(kata, x, model), "batch_to_model(x, model with only buffers)",
                  shape=(2, 3), dtype=torch.float64, device="meta",
                  hint="a model without parameters: move to the device of its buffers "
                       "(model_device), keep the dtype")
