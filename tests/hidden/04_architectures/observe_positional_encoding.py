"""Scenarios for 04_architectures/positional_encoding: they run beside the submission and only
observe.

No expected value belongs here (this module is in the submission's process when grading); the
checks are in test_positional_encoding.py, which rebuilds the inputs with the builders below."""

import torch
from torch import nn

from grader.checks import explain
from grader.observe import scenario

NOT_A_BUFFER = ("the table is not a buffer: register it with self.register_buffer('pe', pe, "
                "persistent=True). A plain attribute does not move with .to() and is not saved; "
                "an nn.Parameter would be trained")
RULES = {
    r"expected device|same device|on device": (
        "the table stayed on the CPU when the module moved: a plain attribute (self.pe = ...) is "
        "not moved by .to(); " + NOT_A_BUFFER),
    r"must match the size of tensor b": (
        "shapes do not line up: add only the first L rows of the table, pe[:L] with "
        "L = x.shape[1] (the sequence dim of a (B, L, d_model) input)"),
}
LOAD_RULES = {r"Missing key|Unexpected key": "the saved keys do not match: keep the table as "
                                             "the single persistent buffer 'pe'"}


def random_input(batch, length, seed, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(batch, length, 8, dtype=dtype, generator=g)


def half_input(seed, dtype, device="cpu"):
    """Drawn in float32, then converted to `dtype` on `device`."""
    return random_input(2, 4, seed).to(device, dtype)


def small_input(seed):
    return torch.randn(2, 3, 4, generator=torch.Generator().manual_seed(seed))


def _make(kata, d_model, max_len):
    with explain(RULES):
        return kata.SinusoidalPositionalEncoding(d_model, max_len=max_len)


def _call(module, x):
    with explain(RULES):
        return module(x)


def _buffers(module):
    return dict(module.named_buffers())


def _pe_is(buffers, device=None, dtype=None):
    """Whether the check gets past its look at the buffer pe (so the scenario goes on)."""
    pe = buffers.get("pe")
    return (type(pe) is torch.Tensor and (device is None or pe.device.type == device)
            and (dtype is None or pe.dtype == dtype))


@scenario
def position_zero_pattern(kata):
    return _call(_make(kata, 8, 4), torch.zeros(1, 1, 8))


@scenario
def table_values(kata, d_model, max_len):
    return _call(_make(kata, d_model, max_len), torch.zeros(1, max_len, d_model))


@scenario
def forward_adds_first_rows(kata, batch, length):
    module = _make(kata, 8, 12)
    return _call(module, random_input(batch, length, batch * 10 + length))


@scenario
def pe_is_a_buffer_not_a_parameter(kata):
    module = _make(kata, 6, 9)
    return {"parameters": [name for name, _ in module.named_parameters()],
            "buffers": _buffers(module)}


@scenario
def saved_and_loaded_with_state_dict(kata):
    state = _make(kata, 4, 5).state_dict()
    seen = {"state_keys": list(state), "loaded": {}}
    other = _make(kata, 4, 5)
    buffers = _buffers(other)
    if "pe" not in state or not _pe_is(buffers):
        return seen
    with torch.no_grad():
        buffers["pe"].zero_()  # so that only load_state_dict can bring the values back
    with explain(LOAD_RULES):
        other.load_state_dict(state)
    seen["loaded"] = _buffers(other)
    return seen


@scenario
def moves_with_to(kata):
    module = _make(kata, 8, 10)
    returned = module.to("meta")
    seen = {"returns_itself": returned is module, "buffers": _buffers(module), "out": None}
    if seen["returns_itself"] and _pe_is(seen["buffers"], device="meta"):
        seen["out"] = _call(module, torch.empty(2, 5, 8, device="meta"))
    return seen


@scenario
def converts_with_to_dtype(kata):
    module = _make(kata, 8, 10).to(torch.float64)
    seen = {"buffers": _buffers(module), "out": None}
    if _pe_is(seen["buffers"], dtype=torch.float64):
        seen["out"] = _call(module, random_input(2, 4, 3, torch.float64))
    return seen


@scenario
def keeps_half_dtype(kata, dtype):
    return _call(_make(kata, 8, 10), half_input(4, dtype))


@scenario
def input_not_modified(kata):
    x = small_input(5)
    out = _call(_make(kata, 4, 6), x)
    return {"x": x, "out": out}


@scenario
def gradient_flows_to_input(kata):
    x = small_input(6).requires_grad_()
    out = _call(_make(kata, 4, 6), x)
    # backward() only where the check would get past its requires_grad test
    if type(out) is torch.Tensor and out.requires_grad:
        out.sum().backward()
    return {"out": out, "x_grad": x.grad}


@scenario
def expect_module_type(kata):
    module = _make(kata, 4, 6)
    seen = {"is_module": isinstance(module, nn.Module), "out": None}
    if seen["is_module"]:
        seen["out"] = _call(module, torch.zeros(1, 2, 4))
    return seen


@scenario
def cuda(kata):
    module = _make(kata, 8, 10).to("cuda")
    seen = {"buffers": _buffers(module), "out": None}
    if _pe_is(seen["buffers"], device="cuda"):
        seen["out"] = _call(module, half_input(7, torch.float16, "cuda"))
    return seen
