"""Hidden tests for 04_architectures/multi_head_attention: the checks. The scenarios are in
observe_multi_head_attention.py."""

import pytest
import torch
from torch import nn

from grader.checks import assert_close, expect, expect_tensor
from grader.observe import scenarios_of

scenes = scenarios_of(__file__)

NAMES = scenes.NAMES
GENERAL = ("the output differs from nn.MultiheadAttention with the same weights: project with "
           "q_proj/k_proj/v_proj, split into heads with view(B, L, H, D).transpose(1, 2) (not "
           "view(B, H, L, D)), scale each head by 1/sqrt(head_dim) (not sqrt(embed_dim)), merge "
           "with transpose(1, 2).reshape(B, L, E) and apply out_proj; return only the output "
           "tensor")
PADDING = ("True in key_padding_mask means padding: those keys get no weight, for every head and "
           "query; index the (B, S) mask as mask[:, None, None, :] against (B, H, L, S) scores")
CAUSAL = ("causal: query i attends only to keys j <= i (the allowed pattern is "
          "ones(L, S).tril())")


def _check_structure(structure, embed_dim):
    """The submission's projections, as the scenario saw them before copying the weights in."""
    for name in NAMES:
        facts = structure[name]
        expect(facts["is_linear"] is True,
               f"{name} should be a single nn.Linear(embed_dim, embed_dim) attribute, one "
               "projection for all heads (the heads are a reshape of its output, not separate "
               "layers): the weights of nn.MultiheadAttention are copied into q_proj, k_proj, "
               "v_proj and out_proj")
        expect(facts["in_features"] == embed_dim and facts["out_features"] == embed_dim
               and facts["has_bias"] is True,
               f"{name} should be nn.Linear({embed_dim}, {embed_dim}) with a bias, one projection "
               "for all heads (E -> E), not one per head")


def _output(observed, embed_dim):
    """The observed output, once the structure is checked."""
    _check_structure(observed["structure"], embed_dim)
    return observed["out"]


def _reference(embed_dim, num_heads, seed, device="cpu", dtype=torch.float32):
    """nn.MultiheadAttention holding the weights the submission's module was given."""
    ref = nn.MultiheadAttention(embed_dim, num_heads, batch_first=True)
    weights = scenes.projection_weights(embed_dim, seed)
    with torch.no_grad():
        ref.in_proj_weight.copy_(torch.cat([weights[n][0] for n in NAMES[:3]]))
        ref.in_proj_bias.copy_(torch.cat([weights[n][1] for n in NAMES[:3]]))
        ref.out_proj.weight.copy_(weights["out_proj"][0])
        ref.out_proj.bias.copy_(weights["out_proj"][1])
    return ref.to(device, dtype)


def _expected(ref, query, key, value, pad=None, causal=False):
    L, S = query.shape[1], key.shape[1]
    mask = (torch.ones(L, S, dtype=torch.bool, device=query.device).tril().logical_not()
            if causal else None)
    with torch.no_grad():
        return ref(query, key, value, key_padding_mask=pad, attn_mask=mask, need_weights=False)[0]


def test_holds_exactly_four_projections(observed):
    """holds q_proj, k_proj, v_proj, out_proj and no other parameters"""
    names = observed
    want = sorted(f"{n}.{p}" for n in NAMES for p in ("weight", "bias"))
    expect(names == want, f"the parameters are {names}, expected exactly {want}: one "
                          "nn.Linear(E, E) per projection, shared by all heads (heads are a "
                          "reshape, not extra layers)")


@pytest.mark.weight(3)
@pytest.mark.parametrize("E,H,B,L", [(16, 4, 3, 5), (12, 3, 2, 7), (8, 1, 2, 4), (32, 8, 1, 3)],
                         ids=["E16H4", "E12H3", "E8H1", "E32H8"])
def test_self_attention_matches_reference(observed, device, E, H, B, L):
    """self-attention equals nn.MultiheadAttention for several embed sizes and head counts"""
    out = _output(observed, E)
    query, key, value = scenes.inputs(2, B, L, L, E, device, self_attention=True)
    expected = _expected(_reference(E, H, 1, device), query, key, value)
    assert_close(out, expected, what=f"self-attention with embed_dim={E}, num_heads={H}",
                 rtol=1e-4, atol=1e-5, hint=GENERAL)


@pytest.mark.weight(2)
@pytest.mark.parametrize("L,S", [(3, 6), (6, 2)])
def test_cross_attention(observed, device, L, S):
    """attends from a query sequence to different key/value sequences of another length"""
    out = _output(observed, 16)
    query, key, value = scenes.inputs(4, 2, L, S, 16, device)
    expected = _expected(_reference(16, 4, 3, device), query, key, value)
    assert_close(out, expected, what=f"cross-attention with L={L}, S={S}", rtol=1e-4, atol=1e-5,
                 hint="each input goes through its own projection: q_proj(query), k_proj(key), "
                      "v_proj(value) (key and value are not the query), and key/value are split "
                      "with their own length S; " + GENERAL)


@pytest.mark.weight(2)
@pytest.mark.parametrize("B,H", [(3, 2), (2, 2)], ids=["B!=H", "B==H"])
def test_key_padding_mask(observed, device, B, H):
    """ignores keys marked True in the (B, S) key_padding_mask"""
    out = _output(observed, 8)
    query, key, value = scenes.inputs(6, B, 4, 6, 8, device)
    pad = scenes.pad(7, B, 6, device)
    expected = _expected(_reference(8, H, 5, device), query, key, value, pad=pad)
    assert_close(out, expected, what=f"attention with a padding mask (B={B}, H={H})",
                 rtol=1e-4, atol=1e-5, hint=PADDING)


@pytest.mark.weight(2)
def test_causal(observed, device):
    """causal=True: each query attends only to itself and earlier keys"""
    out = _output(observed, 16)
    query, key, value = scenes.inputs(9, 2, 6, 6, 16, device, self_attention=True)
    expected = _expected(_reference(16, 4, 8, device), query, key, value, causal=True)
    assert_close(out, expected, what="causal self-attention", rtol=1e-4, atol=1e-5, hint=CAUSAL)


def test_causal_and_padding(observed):
    """both masks together"""
    out = _output(observed, 12)
    query, key, value = scenes.inputs(11, 3, 5, 5, 12, self_attention=True)
    pad = scenes.pad(12, 3, 5)
    expected = _expected(_reference(12, 2, 10), query, key, value, pad=pad, causal=True)
    assert_close(out, expected, what="attention with both masks", rtol=1e-4, atol=1e-5,
                 hint="a key is allowed only if j <= i AND it is not padding: apply both masks; "
                      + PADDING)


@pytest.mark.weight(2)
def test_gradients_match(observed):
    """gradients of the projections equal nn.MultiheadAttention's"""
    out = _output(observed, 8)
    ref = _reference(8, 2, 13)
    query, key, value = scenes.inputs(14, 2, 4, 5, 8)
    pad = scenes.pad(15, 2, 5)
    ref(query, key, value, key_padding_mask=pad, need_weights=False)[0].backward(scenes.upstream())
    expect_tensor(out, "the output", shape=(2, 4, 8), requires_grad=True,
                  hint="the output is cut off from autograd: no detach(), .data or "
                       "torch.no_grad() in forward")
    ref_grads = list(ref.in_proj_weight.grad.chunk(3)) + [ref.out_proj.weight.grad]
    for name, want in zip(NAMES, ref_grads):
        grad = observed["grads"][name]
        expect(grad is not None, f"no gradient reached {name}.weight: use the layer in forward")
        assert_close(grad, want, what=f"the gradient of {name}.weight", rtol=1e-4, atol=1e-5,
                     hint=GENERAL)


def test_float64(observed):
    """works in float64 after module.double() and returns float64"""
    out = _output(observed, 8)
    ref = _reference(8, 2, 17, dtype=torch.float64)
    query, key, value = scenes.inputs(18, 2, 3, 4, 8, dtype=torch.float64)
    expected = _expected(ref, query, key, value, causal=False)
    assert_close(out, expected, what="float64 attention", rtol=1e-7, atol=1e-9,
                 hint="keep the input's dtype: build masks and constants with dtype=query.dtype "
                      "(or bool masks); " + GENERAL)


def test_meta_device(observed):
    """creates its masks on the inputs' device (checked on the 'meta' device)"""
    expect_tensor(_output(observed, 8), "attention on meta tensors", shape=(2, 5, 8),
                  device="meta",
                  hint="the output must stay on the inputs' device: create masks with "
                       "device=query.device; return only the output tensor")


def test_inputs_not_modified(observed):
    """leaves query, key, value and the mask unchanged"""
    _check_structure(observed["structure"], 8)
    before = [*scenes.inputs(21, 2, 4, 4, 8), scenes.pad(22, 2, 4)]
    now = observed["inputs"]
    expect(len(now) == len(before), "not every input was observed")
    for name, seen, then in zip(("query", "key", "value", "key_padding_mask"), now, before):
        expect(bool(torch.equal(seen, then)),
               f"{name} was changed in place: forward must not modify its inputs")


@pytest.mark.gpu
def test_cuda_half(observed):
    """float16 on CUDA with both masks equals nn.MultiheadAttention"""
    out = _output(observed, 32)
    ref = _reference(32, 4, 23, device="cuda", dtype=torch.float16)
    query, key, value = scenes.inputs(24, 4, 16, 16, 32, device="cuda", dtype=torch.float16,
                                      self_attention=True)
    pad = scenes.pad(25, 4, 16, device="cuda")
    expected = _expected(ref.float(), query.float(), key.float(), value.float(), pad=pad,
                         causal=True).half()
    expect_tensor(out, "the output on CUDA", dtype=torch.float16, device="cuda",
                  hint="keep the input's dtype and device")
    assert_close(out, expected, what="float16 attention on CUDA", rtol=2e-2, atol=2e-2,
                 hint=GENERAL)
