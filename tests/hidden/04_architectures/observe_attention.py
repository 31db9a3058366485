"""Scenarios for 04_architectures/attention: they run beside the submission and only observe.

No expected value belongs here (this module is in the submission's process when grading); the
checks are in test_attention.py, which rebuilds the inputs with the builders below."""

import torch

from grader.checks import explain
from grader.observe import scenario

RULES = {
    r"without overflow": (
        "a huge negative fill value such as -1e9 does not fit in float16 (its largest magnitude is "
        "65504): fill forbidden scores with float('-inf') instead"),
    r"Dimension out of range|must match the size of tensor b|Expected size for first two dimensions"
    r"|shapes cannot be multiplied": (
        "shapes do not line up: transpose only the last two dims of k with k.transpose(-2, -1) "
        "(k.T or k.transpose(1, 2) fit one number of dimensions only), and give a (..., S) padding "
        "mask a query dim with mask.unsqueeze(-2) so it broadcasts against the (..., L, S) scores"),
    r"expected device|same device|on device": (
        "a mask was created on the wrong device: build it with device=q.device (here the inputs "
        "are on the 'meta' device, like they would be on 'cuda')"),
}

def qkv(seed, shape_q, shape_kv, device="cpu", dtype=torch.float32, dv=None):
    g = torch.Generator().manual_seed(seed)
    q = torch.randn(shape_q, generator=g, dtype=torch.float64)
    k = torch.randn(shape_kv, generator=g, dtype=torch.float64)
    shape_v = shape_kv if dv is None else (*shape_kv[:-1], dv)
    v = torch.randn(shape_v, generator=g, dtype=torch.float64)
    return tuple(t.to(device=device, dtype=dtype) for t in (q, k, v))


def pad_mask(seed, batch_shape, s, device="cpu"):
    """Random right-padding: every row keeps at least its first key."""
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(1, s + 1, batch_shape, generator=g)
    return (torch.arange(s) >= lengths.unsqueeze(-1)).to(device)  # (*batch_shape, s)


def small_scores_inputs():
    """D=32, queries shrunk so that the softmax does not saturate and the scaling shows."""
    q, k, v = qkv(12, (2, 3, 32), (2, 6, 32))
    return q * 0.3, k, v


def ones_values_inputs():
    q, k, _ = qkv(13, (2, 4, 8), (2, 7, 8))
    return q, k, torch.ones(2, 7, 5)


def garbage_padded_inputs():
    """Clean q, k, v, a padding mask, and k, v whose padded keys hold huge garbage."""
    q, k, v = qkv(19, (2, 4, 8), (2, 6, 8))
    pad = torch.tensor([[False] * 4 + [True] * 2, [False] * 3 + [True] * 3])
    k_bad, v_bad = k.clone(), v.clone()
    k_bad[pad] *= 1e5
    v_bad[pad] *= 1e3
    return q, k, v, pad, k_bad, v_bad


def gradient_inputs(device):
    q, k, v = qkv(24, (2, 4, 8), (2, 6, 8), device)
    return q, k, v, pad_mask(25, (2,), 6, device)


def upstream(shape, device):
    """The gradient fed into backward()."""
    return torch.randn(shape, generator=torch.Generator().manual_seed(26)).to(device)


def unchanged_inputs():
    q, k, v = qkv(27, (2, 4, 8), (2, 4, 8))
    return q, k, v, pad_mask(28, (2,), 4)


def meta_inputs():
    q = torch.empty(2, 3, 5, 8, device="meta")
    return q, torch.zeros(2, 1, 5, dtype=torch.bool, device="meta")


def _attend(kata, *args, _copy=True, **kwargs):
    """Calls the submission on copies of the inputs (only the mutation scenario passes the
    originals, so that an in-place change shows up there as what it is, not as wrong values
    elsewhere)."""
    if _copy:
        args = [a.clone() if isinstance(a, torch.Tensor) else a for a in args]
        kwargs = {n: a.clone() if isinstance(a, torch.Tensor) else a for n, a in kwargs.items()}
    with explain(RULES):
        return kata.attention(*args, **kwargs)


@scenario
def matches_sdpa(kata, device, shape_q, shape_kv):
    return _attend(kata, *qkv(10, shape_q, shape_kv, device))


@scenario
def value_dim_may_differ(kata):
    return _attend(kata, *qkv(11, (2, 3, 8), (2, 5, 8), dv=3))


@scenario
def scales_by_sqrt_of_feature_size(kata):
    return _attend(kata, *small_scores_inputs())


@scenario
def weights_sum_to_one_over_keys(kata):
    return _attend(kata, *ones_values_inputs())


@scenario
def causal_matches_sdpa(kata, device, shape):
    return _attend(kata, *qkv(14, shape, shape, device), causal=True)


@scenario
def causal_first_and_last_query(kata):
    return _attend(kata, *qkv(15, (1, 5, 4), (1, 5, 4)), causal=True)


@scenario
def causal_rectangular(kata, L, S):
    return _attend(kata, *qkv(16, (2, L, 4), (2, S, 4)), causal=True)


@scenario
def padding_mask_matches_sdpa(kata, device, shape_q, shape_kv, mask_batch):
    q, k, v = qkv(17, shape_q, shape_kv, device)
    pad = pad_mask(18, mask_batch, shape_kv[-2], device)
    return _attend(kata, q, k, v, key_padding_mask=pad)


@scenario
def padded_keys_have_no_effect(kata):
    q, _, _, pad, k_bad, v_bad = garbage_padded_inputs()
    return _attend(kata, q, k_bad, v_bad, key_padding_mask=pad)


@scenario
def causal_and_padding_together(kata, device):
    q, k, v = qkv(20, (3, 2, 5, 4), (3, 2, 5, 4), device)
    pad = pad_mask(21, (3, 1), 5, device)
    return _attend(kata, q, k, v, causal=True, key_padding_mask=pad)


@scenario
def keeps_dtype(kata, dtype):
    q, k, v = qkv(22, (2, 5, 8), (2, 5, 8), dtype=dtype)
    return _attend(kata, q, k, v, causal=True, key_padding_mask=pad_mask(23, (2,), 5))


@scenario
def device_propagates(kata):
    q, pad = meta_inputs()
    return _attend(kata, q, q, q, causal=True, key_padding_mask=pad)


@scenario
def gradients_flow(kata, device):
    q, k, v, pad = gradient_inputs(device)
    leaves = [t.clone().requires_grad_() for t in (q, k, v)]
    out = _attend(kata, *leaves, key_padding_mask=pad)
    # backward() only where the check would get past its requires_grad test
    if type(out) is torch.Tensor and out.requires_grad:
        out.backward(upstream(out.shape, device))
    return {"out": out, "grads": [t.grad for t in leaves]}


@scenario
def inputs_not_modified(kata):
    q, k, v, pad = unchanged_inputs()
    _attend(kata, q, k, v, causal=True, key_padding_mask=pad, _copy=False)
    return [q, k, v, pad]


@scenario
def cuda_half_with_masks(kata):
    q, k, v = qkv(29, (4, 2, 16, 32), (4, 2, 16, 32), device="cuda", dtype=torch.float16)
    pad = pad_mask(30, (4, 1), 16, device="cuda")
    return _attend(kata, q, k, v, causal=True, key_padding_mask=pad)
