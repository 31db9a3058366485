"""Hidden tests for 04_architectures/attention: the checks. The scenarios are in
observe_attention.py."""

import pytest
import torch
import torch.nn.functional as F

from grader.checks import assert_close, expect, expect_tensor
from grader.observe import scenarios_of

scenes = scenarios_of(__file__)

GENERAL = ("the output differs from softmax(q @ k.transpose(-2, -1) / sqrt(D)) @ v: check the "
           "1/sqrt(D) scaling (D = q.shape[-1]), the softmax over the last dim (the keys) and the "
           "transpose of k")
ONLY_OUTPUT = "; return only the output tensor, not (output, weights)"
PADDING = ("True in key_padding_mask means padding: those keys must get zero weight for every "
           "query (fill their scores with -inf, using mask.unsqueeze(-2) to add the query dim)")


def _reference(q, k, v, causal=False, pad=None):
    """The trusted answer, computed in float64 by F.scaled_dot_product_attention."""
    L, S = q.shape[-2], k.shape[-2]
    allowed = torch.ones(L, S, dtype=torch.bool, device=q.device)
    if causal:
        allowed = allowed.tril()
    if pad is not None:
        allowed = allowed & ~pad.unsqueeze(-2)
    out = F.scaled_dot_product_attention(q.double(), k.double(), v.double(), attn_mask=allowed)
    return out.to(q.dtype)


SHAPES = [((2, 5, 8), (2, 5, 8)), ((3, 4, 16), (3, 7, 16)), ((2, 3, 4, 8), (2, 3, 6, 8)),
          ((6, 4), (3, 4))]


@pytest.mark.weight(2)
@pytest.mark.parametrize("shape_q,shape_kv", SHAPES, ids=["3d", "3d-L<S", "4d-heads", "2d"])
def test_matches_sdpa(observed, device, shape_q, shape_kv):
    """equals F.scaled_dot_product_attention for 2-D, 3-D and 4-D inputs"""
    q, k, v = scenes.qkv(10, shape_q, shape_kv, device)
    assert_close(observed, _reference(q, k, v),
                 what=f"attention of q {tuple(shape_q)}, k/v {tuple(shape_kv)}",
                 rtol=1e-5, atol=1e-5, hint=GENERAL + ONLY_OUTPUT)


def test_value_dim_may_differ(observed):
    """works when v has a different feature size than q and k"""
    q, k, v = scenes.qkv(11, (2, 3, 8), (2, 5, 8), dv=3)
    assert_close(observed, _reference(q, k, v), what="attention with Dv=3, D=8",
                 rtol=1e-5, atol=1e-5,
                 hint="the output has v's feature size: (..., L, Dv); scale by sqrt of q's feature "
                      "size D, not of v's")


def test_scales_by_sqrt_of_feature_size(observed):
    """divides the scores by sqrt(D), D the feature size (not the sequence length)"""
    q, k, v = scenes.small_scores_inputs()
    assert_close(observed, _reference(q, k, v), what="attention with D=32, L=3, S=6",
                 rtol=1e-5, atol=1e-5,
                 hint="the scores must be divided by sqrt(D), D = q.shape[-1] the feature size "
                      "(not by the sequence length, not by D itself, and not left unscaled)")


def test_weights_sum_to_one_over_keys(observed):
    """each query's weights sum to 1 over the keys: values all 1 give outputs all 1"""
    assert_close(observed, torch.ones(2, 4, 5), what="attention over all-ones values",
                 rtol=1e-5, atol=1e-5,
                 hint="each query's weights must sum to 1 over the keys: take the softmax over the "
                      "last dim (dim=-1), the keys, not over the queries")


@pytest.mark.weight(2)
@pytest.mark.parametrize("shape", [(2, 6, 8), (2, 2, 5, 4)], ids=["3d", "4d"])
def test_causal_matches_sdpa(observed, device, shape):
    """causal=True equals F.scaled_dot_product_attention(is_causal=True)"""
    q, k, v = scenes.qkv(14, shape, shape, device)
    expected = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    assert_close(observed, expected, what="causal attention", rtol=1e-5, atol=1e-5,
                 hint="causal: query i may attend only to keys j <= i (allowed = tril of "
                      "ones(L, S)); fill the others with -inf before the softmax")


def test_causal_first_and_last_query(observed):
    """causal: the first query sees only the first key, the last query sees every key"""
    q, k, v = scenes.qkv(15, (1, 5, 4), (1, 5, 4))
    out = expect_tensor(observed, "the causal attention output", shape=(1, 5, 4),
                        hint=ONLY_OUTPUT[2:])
    assert_close(out[:, 0], v[:, 0], what="the first query's output",
                 hint="the causal mask is reversed or shifted: query i attends to keys j <= i "
                      "(tril, diagonal included), so query 0 sees only key 0 and its output is "
                      "v[0]")
    assert_close(out[:, -1], _reference(q, k, v)[:, -1], what="the last query's output",
                 rtol=1e-5, atol=1e-5,
                 hint="the causal mask is reversed: query i attends to keys j <= i (tril), so the "
                      "last query sees every key")


@pytest.mark.parametrize("L,S", [(3, 5), (5, 3)])
def test_causal_rectangular(observed, L, S):
    """causal with L != S uses the top-left aligned pattern ones(L, S).tril()"""
    q, k, v = scenes.qkv(16, (2, L, 4), (2, S, 4))
    assert_close(observed, _reference(q, k, v, causal=True),
                 what=f"causal attention with L={L}, S={S}", rtol=1e-5, atol=1e-5,
                 hint="build the causal pattern with shape (L, S) from the scores' last two dims: "
                      "torch.ones(L, S, dtype=torch.bool).tril()")


@pytest.mark.weight(2)
@pytest.mark.parametrize("shape_q,shape_kv,mask_batch", [
    ((3, 4, 8), (3, 6, 8), (3,)),
    ((4, 4, 8), (4, 4, 8), (4,)),
    ((2, 3, 5, 8), (2, 3, 6, 8), (2, 1)),
], ids=["3d", "3d-B==L", "4d-heads"])
def test_padding_mask_matches_sdpa(observed, device, shape_q, shape_kv, mask_batch):
    """keys with key_padding_mask True get no weight, for 3-D and 4-D inputs"""
    q, k, v = scenes.qkv(17, shape_q, shape_kv, device)
    pad = scenes.pad_mask(18, mask_batch, shape_kv[-2], device)
    assert_close(observed, _reference(q, k, v, pad=pad),
                 what=f"attention with a padding mask of shape {tuple(pad.shape)}",
                 rtol=1e-5, atol=1e-5, hint=PADDING)


def test_padded_keys_have_no_effect(observed):
    """padded keys holding huge garbage change nothing: the result equals dropping them"""
    q, k, v, _, _, _ = scenes.garbage_padded_inputs()
    out = expect_tensor(observed, "the attention output", shape=(2, 4, 8), hint=ONLY_OUTPUT[2:])
    for b, keep in enumerate((4, 3)):
        expected = _reference(q[b], k[b, :keep], v[b, :keep])
        assert_close(out[b], expected, what=f"batch {b} (only its first {keep} keys are real)",
                     rtol=1e-5, atol=1e-5,
                     hint="padded keys still influence the result: fill their scores with "
                          "float('-inf') before the softmax. A big negative number such as -1e4 is "
                          "not enough when scores are large, and zeroing weights after the softmax "
                          "leaves rows that no longer sum to 1")


def test_causal_and_padding_together(observed, device):
    """both masks at once, on 4-D (B, H, L, D) inputs"""
    q, k, v = scenes.qkv(20, (3, 2, 5, 4), (3, 2, 5, 4), device)
    pad = scenes.pad_mask(21, (3, 1), 5, device)
    assert_close(observed, _reference(q, k, v, causal=True, pad=pad),
                 what="attention with both masks", rtol=1e-5, atol=1e-5,
                 hint="apply both masks (a key is allowed only if j <= i AND it is not padding) "
                      "before the softmax")


@pytest.mark.weight(2)
@pytest.mark.parametrize("dtype,tol", [(torch.float16, 1e-2), (torch.bfloat16, 5e-2),
                                       (torch.float64, 1e-10)],
                         ids=["float16", "bfloat16", "float64"])
def test_keeps_dtype(observed, dtype, tol):
    """keeps the input's dtype (float16, bfloat16, float64), with both masks"""
    q, k, v = scenes.qkv(22, (2, 5, 8), (2, 5, 8), dtype=dtype)
    pad = scenes.pad_mask(23, (2,), 5)
    out = expect_tensor(observed, f"the output for {dtype} inputs", dtype=dtype,
                        hint="the result must keep q's dtype: a mask or constant created in "
                             "float32 (the default dtype) upcasts half-precision scores; build "
                             "additive masks with dtype=q.dtype, or use masked_fill with "
                             "float('-inf')" + ONLY_OUTPUT)
    expected = _reference(q.double(), k.double(), v.double(), causal=True, pad=pad).to(dtype)
    assert_close(out, expected, what=f"attention in {dtype}", rtol=tol, atol=tol,
                 hint=GENERAL + "; mask with float('-inf')")


def test_device_propagates(observed):
    """creates its masks on the inputs' device (checked on the 'meta' device)"""
    expect_tensor(observed, "attention of meta tensors", shape=(2, 3, 5, 8), device="meta",
                  hint="the output must be on the inputs' device: create masks with "
                       "device=q.device, never on the default (CPU) device" + ONLY_OUTPUT)


@pytest.mark.weight(2)
def test_gradients_flow(observed, device):
    """gradients reach q, k and v and equal those of F.scaled_dot_product_attention"""
    expect_tensor(observed["out"], "the attention output", requires_grad=True,
                  hint="the output is cut off from autograd: do not detach, use .data, "
                       "torch.no_grad() or rebuild tensors with torch.tensor(...)" + ONLY_OUTPUT)
    q, k, v, pad = scenes.gradient_inputs(device)
    refs = [t.clone().requires_grad_() for t in (q, k, v)]
    expected = _reference(*refs, pad=pad)
    expected.backward(scenes.upstream(expected.shape, device))
    expect(len(observed["grads"]) == 3, "not every input's gradient was observed")
    for name, grad, ref in zip("qkv", observed["grads"], refs):
        expect(grad is not None,
               f"no gradient reached {name}: keep the computation in autograd")
        assert_close(grad, ref.grad, what=f"the gradient of {name}", rtol=1e-4, atol=1e-5,
                     hint=f"the gradient of {name} is wrong: the forward computation must be "
                          "softmax(q @ k^T / sqrt(D)) @ v, masked with -inf, all in autograd")


def test_inputs_not_modified(observed):
    """leaves q, k, v and the mask unchanged"""
    before = scenes.unchanged_inputs()
    expect(len(observed) == len(before), "not every input was observed")
    for name, now, then in zip(("q", "k", "v", "key_padding_mask"), observed, before):
        expect(bool(torch.equal(now, then)),
               f"{name} was changed in place: attention must not modify its inputs (write "
               "q = q / scale, not q /= scale or q.mul_(...); ~mask, not mask.logical_not_())")


@pytest.mark.gpu
def test_cuda_half_with_masks(observed):
    """float16 on CUDA with both masks equals F.scaled_dot_product_attention"""
    q, k, v = scenes.qkv(29, (4, 2, 16, 32), (4, 2, 16, 32), device="cuda", dtype=torch.float16)
    pad = scenes.pad_mask(30, (4, 1), 16, device="cuda")
    out = expect_tensor(observed, "the output on CUDA", dtype=torch.float16, device="cuda",
                        hint="keep q's dtype and device" + ONLY_OUTPUT)
    expected = _reference(q.double(), k.double(), v.double(), causal=True, pad=pad).half()
    assert_close(out, expected, what="float16 attention on CUDA", rtol=1e-2, atol=1e-2,
                 hint=GENERAL + "; mask with float('-inf')")
