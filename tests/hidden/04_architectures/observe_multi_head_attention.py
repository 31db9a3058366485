"""Scenarios for 04_architectures/multi_head_attention: they run beside the submission and only
observe.

No expected value belongs here (this module is in the submission's process when grading); the
checks are in test_multi_head_attention.py, which rebuilds the inputs with the builders below and
loads the same weights into nn.MultiheadAttention."""

import math

import torch
from torch import nn

from grader.checks import explain
from grader.observe import scenario

NAMES = ("q_proj", "k_proj", "v_proj", "out_proj")
RULES = {
    r"view size is not compatible": (
        "merging the heads with .view() after transpose(1, 2) fails: the tensor is not "
        "contiguous; use .reshape(B, L, E) (or .contiguous().view(...))"),
    r"must match the size of tensor b|shape '\[.*\]' is invalid|shapes cannot be multiplied": (
        "shapes do not line up: split with view(B, len, H, D).transpose(1, 2) using each input's "
        "own length (L for the query, S for key/value), and give the (B, S) padding mask a heads "
        "dim and a query dim: mask[:, None, None, :] against (B, H, L, S) scores"),
    r"expected device|same device|on device": (
        "a mask was created on the wrong device: build it with device=query.device (here the "
        "inputs are on the 'meta' device, like they would be on 'cuda')"),
    r"object has no attribute '(q|k|v|out)_proj'|has no attribute": (
        "the module must define the four projections as attributes named q_proj, k_proj, v_proj "
        "and out_proj"),
}


def projection_weights(embed_dim, seed):
    """{name: (weight, bias)} for q_proj, k_proj, v_proj and out_proj, float32 on the CPU, at the
    scale of nn.MultiheadAttention's initialisation, with random biases."""
    g = torch.Generator().manual_seed(seed)
    in_bound = math.sqrt(6 / (4 * embed_dim))  # xavier_uniform over the stacked (3E, E) in_proj
    out_bound = 1 / math.sqrt(embed_dim)
    weights = {}
    for name in NAMES:
        bound = out_bound if name == "out_proj" else in_bound
        weight = (torch.rand(embed_dim, embed_dim, generator=g) * 2 - 1) * bound
        weights[name] = (weight, torch.randn(embed_dim, generator=g) * 0.5)
    return weights


def inputs(seed, B, L, S, E, device="cpu", dtype=torch.float32, self_attention=False):
    g = torch.Generator().manual_seed(seed)
    query = torch.randn(B, L, E, generator=g).to(device, dtype)
    if self_attention:
        return query, query, query
    key = torch.randn(B, S, E, generator=g).to(device, dtype)
    value = torch.randn(B, S, E, generator=g).to(device, dtype)
    return query, key, value


def pad(seed, B, S, device="cpu"):
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(1, S + 1, (B,), generator=g)
    lengths[0] = max(1, S - 2)  # at least one row really padded
    return (torch.arange(S) >= lengths[:, None]).to(device)


def upstream():
    """The gradient fed into backward() in gradients_match."""
    return torch.randn(2, 4, 8, generator=torch.Generator().manual_seed(16))


def _structure(module):
    """What the check needs to know of each projection before the weights are copied in."""
    facts = {}
    for name in NAMES:
        layer = getattr(module, name, None)
        is_linear = type(layer) is nn.Linear
        facts[name] = {"is_linear": is_linear,
                       "in_features": layer.in_features if is_linear else None,
                       "out_features": layer.out_features if is_linear else None,
                       "has_bias": is_linear and layer.bias is not None}
    return facts


def _fits(structure, embed_dim):
    return all(f["is_linear"] and f["in_features"] == embed_dim and f["out_features"] == embed_dim
               and f["has_bias"] for f in structure.values())


def _prepared(kata, embed_dim, num_heads, seed, device="cpu", dtype=torch.float32):
    """The submission's module with projection_weights copied in and moved to device and dtype;
    None (with the structure facts) where the check stops at the structure."""
    with explain(RULES):
        module = kata.MultiHeadAttention(embed_dim, num_heads)
    structure = _structure(module)
    if not _fits(structure, embed_dim):
        return None, structure
    with torch.no_grad():
        for name, (weight, bias) in projection_weights(embed_dim, seed).items():
            getattr(module, name).weight.copy_(weight)
            getattr(module, name).bias.copy_(bias)
    return module.to(device, dtype), structure


def _run(module, *args, **kwargs):
    with explain(RULES):
        return module(*args, **kwargs)


def _output(kata, embed_dim, num_heads, seed, args, device="cpu", dtype=torch.float32,
            **kwargs):
    module, structure = _prepared(kata, embed_dim, num_heads, seed, device, dtype)
    out = None if module is None else _run(module, *args, **kwargs)
    return {"structure": structure, "out": out}


@scenario
def holds_exactly_four_projections(kata):
    with explain(RULES):
        module = kata.MultiHeadAttention(12, 3)
    return sorted(name for name, _ in module.named_parameters())


@scenario
def self_attention_matches_reference(kata, device, E, H, B, L):
    args = inputs(2, B, L, L, E, device, self_attention=True)
    return _output(kata, E, H, 1, args, device)


@scenario
def cross_attention(kata, device, L, S):
    return _output(kata, 16, 4, 3, inputs(4, 2, L, S, 16, device), device)


@scenario
def key_padding_mask(kata, device, B, H):
    return _output(kata, 8, H, 5, inputs(6, B, 4, 6, 8, device), device,
                   key_padding_mask=pad(7, B, 6, device))


@scenario
def causal(kata, device):
    args = inputs(9, 2, 6, 6, 16, device, self_attention=True)
    return _output(kata, 16, 4, 8, args, device, causal=True)


@scenario
def causal_and_padding(kata):
    args = inputs(11, 3, 5, 5, 12, self_attention=True)
    return _output(kata, 12, 2, 10, args, key_padding_mask=pad(12, 3, 5), causal=True)


@scenario
def gradients_match(kata):
    module, structure = _prepared(kata, 8, 2, 13)
    seen = {"structure": structure, "out": None, "grads": {}}
    if module is None:
        return seen
    out = _run(module, *inputs(14, 2, 4, 5, 8), key_padding_mask=pad(15, 2, 5))
    seen["out"] = out
    # backward() only where the check would get past its look at the output
    if type(out) is torch.Tensor and out.requires_grad and tuple(out.shape) == (2, 4, 8):
        out.backward(upstream())
        seen["grads"] = {name: getattr(module, name).weight.grad for name in NAMES}
    return seen


@scenario
def float64(kata):
    return _output(kata, 8, 2, 17, inputs(18, 2, 3, 4, 8, dtype=torch.float64),
                   dtype=torch.float64)


@scenario
def meta_device(kata):
    x = torch.empty(2, 5, 8, device="meta")
    pad_mask = torch.zeros(2, 5, dtype=torch.bool, device="meta")
    return _output(kata, 8, 2, 19, (x, x, x), "meta", key_padding_mask=pad_mask, causal=True)


@scenario
def inputs_not_modified(kata):
    module, structure = _prepared(kata, 8, 2, 20)
    given = [*inputs(21, 2, 4, 4, 8), pad(22, 2, 4)]
    if module is not None:
        _run(module, *given[:3], key_padding_mask=given[3], causal=True)
    return {"structure": structure, "inputs": given}


@scenario
def cuda_half(kata):
    args = inputs(24, 4, 16, 16, 32, device="cuda", dtype=torch.float16, self_attention=True)
    return _output(kata, 32, 4, 23, args, "cuda", torch.float16,
                   key_padding_mask=pad(25, 4, 16, device="cuda"), causal=True)
