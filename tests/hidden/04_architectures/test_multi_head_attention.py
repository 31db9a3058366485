"""Hidden tests for 04_architectures/multi_head_attention."""

import pytest
import torch
from torch import nn

from grader.checks import assert_close, expect, expect_tensor, explain, manual_seed

NAMES = ("q_proj", "k_proj", "v_proj", "out_proj")
RULES = {
    r"view size is not compatible": (
        "merging the heads with .view() after transpose(1, 2) fails: the tensor is not contiguous; "
        "use .reshape(B, L, E) (or .contiguous().view(...))"),
    r"must match the size of tensor b|shape '\[.*\]' is invalid|shapes cannot be multiplied": (
        "shapes do not line up: split with view(B, len, H, D).transpose(1, 2) using each input's own "
        "length (L for the query, S for key/value), and give the (B, S) padding mask a heads dim "
        "and a query dim: mask[:, None, None, :] against (B, H, L, S) scores"),
    r"expected device|same device|on device": (
        "a mask was created on the wrong device: build it with device=query.device (here the "
        "inputs are on the 'meta' device, like they would be on 'cuda')"),
    r"object has no attribute '(q|k|v|out)_proj'|has no attribute": (
        "the module must define the four projections as attributes named q_proj, k_proj, v_proj "
        "and out_proj"),
}
GENERAL = ("the output differs from nn.MultiheadAttention with the same weights: project with "
           "q_proj/k_proj/v_proj, split into heads with view(B, L, H, D).transpose(1, 2) (not "
           "view(B, H, L, D)), scale each head by 1/sqrt(head_dim) (not sqrt(embed_dim)), merge with "
           "transpose(1, 2).reshape(B, L, E) and apply out_proj; return only the output tensor")
PADDING = ("True in key_padding_mask means padding: those keys get no weight, for every head and "
           "query; index the (B, S) mask as mask[:, None, None, :] against (B, H, L, S) scores")
CAUSAL = "causal: query i attends only to keys j <= i (the allowed pattern is ones(L, S).tril())"


def _pair(kata, embed_dim, num_heads, seed, device="cpu", dtype=torch.float32):
    """A reference nn.MultiheadAttention with random weights and biases, and the submission's
    module with the same weights copied into q_proj, k_proj, v_proj, out_proj."""
    manual_seed(seed)
    ref = nn.MultiheadAttention(embed_dim, num_heads, batch_first=True)
    with torch.no_grad():
        ref.in_proj_bias.normal_(0, 0.5)
        ref.out_proj.bias.normal_(0, 0.5)
    with explain(RULES):
        module = kata.MultiHeadAttention(embed_dim, num_heads)
    for name in NAMES:
        layer = getattr(module, name, None)
        expect(type(layer) is nn.Linear,
               f"{name} should be a single nn.Linear(embed_dim, embed_dim) attribute, one projection "
               "for all heads (the heads are a reshape of its output, not separate layers): the "
               "weights of nn.MultiheadAttention are copied into q_proj, k_proj, v_proj and out_proj")
        expect(layer.in_features == embed_dim and layer.out_features == embed_dim and layer.bias is not None,
               f"{name} should be nn.Linear({embed_dim}, {embed_dim}) with a bias, one projection "
               "for all heads (E -> E), not one per head")
    w = ref.in_proj_weight.chunk(3)
    b = ref.in_proj_bias.chunk(3)
    sources = [(w[0], b[0]), (w[1], b[1]), (w[2], b[2]), (ref.out_proj.weight, ref.out_proj.bias)]
    with torch.no_grad():
        for name, (weight, bias) in zip(NAMES, sources):
            getattr(module, name).weight.copy_(weight)
            getattr(module, name).bias.copy_(bias)
    return ref.to(device, dtype), module.to(device, dtype)


def _inputs(seed, B, L, S, E, device="cpu", dtype=torch.float32, self_attention=False):
    g = torch.Generator().manual_seed(seed)
    query = torch.randn(B, L, E, generator=g).to(device, dtype)
    if self_attention:
        return query, query, query
    key = torch.randn(B, S, E, generator=g).to(device, dtype)
    value = torch.randn(B, S, E, generator=g).to(device, dtype)
    return query, key, value


def _pad(seed, B, S, device="cpu"):
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(1, S + 1, (B,), generator=g)
    lengths[0] = max(1, S - 2)  # at least one row really padded
    return (torch.arange(S) >= lengths[:, None]).to(device)


def _expected(ref, query, key, value, pad=None, causal=False):
    L, S = query.shape[1], key.shape[1]
    mask = torch.ones(L, S, dtype=torch.bool, device=query.device).tril().logical_not() if causal else None
    with torch.no_grad():
        return ref(query, key, value, key_padding_mask=pad, attn_mask=mask, need_weights=False)[0]


def _run(module, *args, **kwargs):
    with explain(RULES):
        return module(*args, **kwargs)


def test_holds_exactly_four_projections(kata):
    """holds q_proj, k_proj, v_proj, out_proj and no other parameters"""
    with explain(RULES):
        module = kata.MultiHeadAttention(12, 3)
    names = sorted(name for name, _ in module.named_parameters())
    want = sorted(f"{n}.{p}" for n in NAMES for p in ("weight", "bias"))
    expect(names == want, f"the parameters are {names}, expected exactly {want}: one nn.Linear(E, E) "
                          "per projection, shared by all heads (heads are a reshape, not extra layers)")


@pytest.mark.weight(3)
@pytest.mark.parametrize("E,H,B,L", [(16, 4, 3, 5), (12, 3, 2, 7), (8, 1, 2, 4), (32, 8, 1, 3)],
                         ids=["E16H4", "E12H3", "E8H1", "E32H8"])
def test_self_attention_matches_reference(kata, device, E, H, B, L):
    """self-attention equals nn.MultiheadAttention for several embed sizes and head counts"""
    ref, module = _pair(kata, E, H, 1, device)
    query, key, value = _inputs(2, B, L, L, E, device, self_attention=True)
    expected = _expected(ref, query, key, value)
    out = _run(module, query, key, value)
    assert_close(out, expected, what=f"self-attention with embed_dim={E}, num_heads={H}",
                 rtol=1e-4, atol=1e-5, hint=GENERAL)


@pytest.mark.weight(2)
@pytest.mark.parametrize("L,S", [(3, 6), (6, 2)])
def test_cross_attention(kata, device, L, S):
    """attends from a query sequence to different key/value sequences of another length"""
    ref, module = _pair(kata, 16, 4, 3, device)
    query, key, value = _inputs(4, 2, L, S, 16, device)
    expected = _expected(ref, query, key, value)
    out = _run(module, query, key, value)
    assert_close(out, expected, what=f"cross-attention with L={L}, S={S}", rtol=1e-4, atol=1e-5,
                 hint="each input goes through its own projection: q_proj(query), k_proj(key), "
                      "v_proj(value) (key and value are not the query), and key/value are split with "
                      "their own length S; " + GENERAL)


@pytest.mark.weight(2)
@pytest.mark.parametrize("B,H", [(3, 2), (2, 2)], ids=["B!=H", "B==H"])
def test_key_padding_mask(kata, device, B, H):
    """ignores keys marked True in the (B, S) key_padding_mask"""
    ref, module = _pair(kata, 8, H, 5, device)
    query, key, value = _inputs(6, B, 4, 6, 8, device)
    pad = _pad(7, B, 6, device)
    expected = _expected(ref, query, key, value, pad=pad)
    out = _run(module, query, key, value, key_padding_mask=pad)
    assert_close(out, expected, what=f"attention with a padding mask (B={B}, H={H})",
                 rtol=1e-4, atol=1e-5, hint=PADDING)


@pytest.mark.weight(2)
def test_causal(kata, device):
    """causal=True: each query attends only to itself and earlier keys"""
    ref, module = _pair(kata, 16, 4, 8, device)
    query, key, value = _inputs(9, 2, 6, 6, 16, device, self_attention=True)
    expected = _expected(ref, query, key, value, causal=True)
    out = _run(module, query, key, value, causal=True)
    assert_close(out, expected, what="causal self-attention", rtol=1e-4, atol=1e-5, hint=CAUSAL)


def test_causal_and_padding(kata):
    """both masks together"""
    ref, module = _pair(kata, 12, 2, 10)
    query, key, value = _inputs(11, 3, 5, 5, 12, self_attention=True)
    pad = _pad(12, 3, 5)
    expected = _expected(ref, query, key, value, pad=pad, causal=True)
    out = _run(module, query, key, value, key_padding_mask=pad, causal=True)
    assert_close(out, expected, what="attention with both masks", rtol=1e-4, atol=1e-5,
                 hint="a key is allowed only if j <= i AND it is not padding: apply both masks; "
                      + PADDING)


@pytest.mark.weight(2)
def test_gradients_match(kata):
    """gradients of the projections equal nn.MultiheadAttention's"""
    ref, module = _pair(kata, 8, 2, 13)
    query, key, value = _inputs(14, 2, 4, 5, 8)
    pad = _pad(15, 2, 5)
    upstream = torch.randn(2, 4, 8, generator=torch.Generator().manual_seed(16))
    ref(query, key, value, key_padding_mask=pad, need_weights=False)[0].backward(upstream)
    out = _run(module, query, key, value, key_padding_mask=pad)
    expect_tensor(out, "the output", shape=(2, 4, 8), requires_grad=True,
                  hint="the output is cut off from autograd: no detach(), .data or torch.no_grad() in forward")
    out.backward(upstream)
    ref_grads = list(ref.in_proj_weight.grad.chunk(3)) + [ref.out_proj.weight.grad]
    for name, want in zip(NAMES, ref_grads):
        grad = getattr(module, name).weight.grad
        expect(grad is not None, f"no gradient reached {name}.weight: use the layer in forward")
        assert_close(grad, want, what=f"the gradient of {name}.weight", rtol=1e-4, atol=1e-5, hint=GENERAL)


def test_float64(kata):
    """works in float64 after module.double() and returns float64"""
    ref, module = _pair(kata, 8, 2, 17, dtype=torch.float64)
    query, key, value = _inputs(18, 2, 3, 4, 8, dtype=torch.float64)
    expected = _expected(ref, query, key, value, causal=False)
    out = _run(module, query, key, value)
    assert_close(out, expected, what="float64 attention", rtol=1e-7, atol=1e-9,
                 hint="keep the input's dtype: build masks and constants with dtype=query.dtype (or "
                      "bool masks); " + GENERAL)


def test_meta_device(kata):
    """creates its masks on the inputs' device (checked on the 'meta' device)"""
    _, module = _pair(kata, 8, 2, 19)
    module.to("meta")
    x = torch.empty(2, 5, 8, device="meta")
    pad = torch.zeros(2, 5, dtype=torch.bool, device="meta")
    out = _run(module, x, x, x, key_padding_mask=pad, causal=True)
    expect_tensor(out, "attention on meta tensors", shape=(2, 5, 8), device="meta",
                  hint="the output must stay on the inputs' device: create masks with "
                       "device=query.device; return only the output tensor")


def test_inputs_not_modified(kata):
    """leaves query, key, value and the mask unchanged"""
    _, module = _pair(kata, 8, 2, 20)
    query, key, value = _inputs(21, 2, 4, 4, 8)
    pad = _pad(22, 2, 4)
    before = [t.clone() for t in (query, key, value, pad)]
    _run(module, query, key, value, key_padding_mask=pad, causal=True)
    for name, now, then in zip(("query", "key", "value", "key_padding_mask"), (query, key, value, pad), before):
        expect(bool(torch.equal(now, then)), f"{name} was changed in place: forward must not modify its inputs")


@pytest.mark.gpu
def test_cuda_half(kata):
    """float16 on CUDA with both masks equals nn.MultiheadAttention"""
    ref, module = _pair(kata, 32, 4, 23, device="cuda", dtype=torch.float16)
    query, key, value = _inputs(24, 4, 16, 16, 32, device="cuda", dtype=torch.float16, self_attention=True)
    pad = _pad(25, 4, 16, device="cuda")
    expected = _expected(ref.float(), query.float(), key.float(), value.float(), pad=pad, causal=True).half()
    out = _run(module, query, key, value, key_padding_mask=pad, causal=True)
    expect_tensor(out, "the output on CUDA", dtype=torch.float16, device="cuda",
                  hint="keep the input's dtype and device")
    assert_close(out, expected, what="float16 attention on CUDA", rtol=2e-2, atol=2e-2, hint=GENERAL)
