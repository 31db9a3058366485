"""Scenarios for 01_tensors/same_device: they run beside the submission and only observe.

No expected value belongs here (this module is in the submission's process when grading); the
checks are in test_same_device.py, which rebuilds the inputs with the builders below. Inputs
are observed after the call too, since the kata must leave them as they were."""

import torch
from torch import nn

from grader.checks import explain, manual_seed
from grader.observe import scenario

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

BIAS_SHAPES = [(4, 3), (1, 7), (6, 1)]
TOKEN_SHAPES = [(2, 5), (3, 1), (1, 8), (4, 4)]


def randn(seed, *shape, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g).to(dtype)


def features(seed, shape, dtype, device):
    return randn(seed, *shape, dtype=dtype).to(device)


def tokens(shape, device):
    g = torch.Generator().manual_seed(shape[0] * 10 + shape[1])
    return torch.randint(0, 50, shape, generator=g).to(device)


class Normalizer(nn.Module):
    """A module with buffers but no parameters."""

    def __init__(self, device):
        super().__init__()
        self.register_buffer("mean", torch.zeros(3, device=device))
        self.register_buffer("std", torch.ones(3, device=device))

    def forward(self, x):
        return (x - self.mean) / self.std


def models_with_parameters(device):
    return (nn.Linear(3, 2, device="meta"), nn.Sequential(nn.Linear(4, 4), nn.ReLU()).to(device))


def labelled_batch():
    g = torch.Generator().manual_seed(4)
    return {"x": randn(5, 4, 3), "y": torch.randint(0, 2, (4,), generator=g),
            "mask": torch.ones(4, dtype=torch.bool), "ids": torch.arange(4, dtype=torch.int32)}


def cpu_batch():
    return {"x": randn(6, 2, 3), "y": torch.tensor([1, 0])}


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


@scenario
def bias_column_values(kata, device, dtype):
    seen = []
    for seed, shape in enumerate(BIAS_SHAPES):
        x = features(seed, shape, dtype, device)
        seen.append({"result": _bias(kata, x), "x": x})
    return seen


@scenario
def bias_column_on_another_device(kata, dtype):
    return _bias(kata, torch.empty(5, 4, dtype=dtype, device="meta"))


@scenario
def bias_column_keeps_the_graph(kata):
    x = randn(2, 3, 2).requires_grad_()
    out = _bias(kata, x)
    if isinstance(out, torch.Tensor) and out.requires_grad:  # else its check fails on `out`
        out.sum().backward()
    return {"result": out, "x_grad": x.grad}


@scenario
def positions_values(kata, device):
    seen = []
    for shape in TOKEN_SHAPES:
        ids = tokens(shape, device)
        seen.append({"result": _positions(kata, ids), "tokens": ids})
    return seen


@scenario
def positions_on_another_device(kata):
    return _positions(kata, torch.empty(3, 6, dtype=torch.int64, device="meta"))


@scenario
def model_device_of_parameters(kata, device):
    return [_model_device(kata, model) for model in models_with_parameters(device)]


@scenario
def model_device_without_parameters(kata):
    return [_model_device(kata, Normalizer("meta")), _model_device(kata, nn.ReLU())]


@scenario
def batch_tensor(kata, model_dtype):
    model = nn.Linear(3, 2, device="meta", dtype=model_dtype)
    x = randn(3, 4, 3)
    return {"result": _batch(kata, x, model), "x": x}


@scenario
def batch_dict_keeps_integer_dtypes(kata):
    model = nn.Linear(3, 2, device="meta", dtype=torch.float64)
    batch = labelled_batch()
    kept = dict(batch)
    moved = _batch(kata, batch, model)
    # Whether the caller's dict still holds the very same tensors: identity, seen here.
    return {"result": moved, "batch_length": len(batch),
            "same_tensors": [batch.get(k) is t for k, t in kept.items()]}


@scenario
def batch_to_model_on_device(kata, device):
    manual_seed(5)
    model = nn.Linear(3, 2).to(device)
    return _batch(kata, cpu_batch(), model)


@scenario
def batch_for_a_model_without_parameters(kata):
    return _batch(kata, randn(7, 2, 3, dtype=torch.float64), Normalizer("meta"))
