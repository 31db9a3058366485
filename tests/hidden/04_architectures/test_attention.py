"""Hidden tests for 04_architectures/attention."""

import pytest
import torch
import torch.nn.functional as F

from grader.checks import assert_close, expect, expect_tensor, explain

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
        "a mask was created on the wrong device: build it with device=q.device (here the inputs are "
        "on the 'meta' device, like they would be on 'cuda')"),
}

GENERAL = ("the output differs from softmax(q @ k.transpose(-2, -1) / sqrt(D)) @ v: check the "
           "1/sqrt(D) scaling (D = q.shape[-1]), the softmax over the last dim (the keys) and the "
           "transpose of k")
ONLY_OUTPUT = "; return only the output tensor, not (output, weights)"
PADDING = ("True in key_padding_mask means padding: those keys must get zero weight for every "
           "query (fill their scores with -inf, using mask.unsqueeze(-2) to add the query dim)")


def _attend(kata, *args, _copy=True, **kwargs):
    """Calls the submission on copies of the inputs (only the mutation test passes the originals,
    so that an in-place change shows up there as what it is, not as wrong values elsewhere)."""
    if _copy:
        args = [a.clone() if isinstance(a, torch.Tensor) else a for a in args]
        kwargs = {n: a.clone() if isinstance(a, torch.Tensor) else a for n, a in kwargs.items()}
    with explain(RULES):
        return kata.attention(*args, **kwargs)


def _qkv(seed, shape_q, shape_kv, device="cpu", dtype=torch.float32, dv=None):
    g = torch.Generator().manual_seed(seed)
    q = torch.randn(shape_q, generator=g, dtype=torch.float64)
    k = torch.randn(shape_kv, generator=g, dtype=torch.float64)
    shape_v = shape_kv if dv is None else (*shape_kv[:-1], dv)
    v = torch.randn(shape_v, generator=g, dtype=torch.float64)
    return tuple(t.to(device=device, dtype=dtype) for t in (q, k, v))


def _pad_mask(seed, batch_shape, s, device="cpu"):
    """Random right-padding: every row keeps at least its first key."""
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(1, s + 1, batch_shape, generator=g)
    return (torch.arange(s) >= lengths.unsqueeze(-1)).to(device)  # (*batch_shape, s)


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
def test_matches_sdpa(kata, device, shape_q, shape_kv):
    """equals F.scaled_dot_product_attention for 2-D, 3-D and 4-D inputs"""
    q, k, v = _qkv(10, shape_q, shape_kv, device)
    out = _attend(kata, q, k, v)
    assert_close(out, _reference(q, k, v), what=f"attention of q {tuple(shape_q)}, k/v {tuple(shape_kv)}",
                 rtol=1e-5, atol=1e-5, hint=GENERAL + ONLY_OUTPUT)


def test_value_dim_may_differ(kata):
    """works when v has a different feature size than q and k"""
    q, k, v = _qkv(11, (2, 3, 8), (2, 5, 8), dv=3)
    assert_close(_attend(kata, q, k, v), _reference(q, k, v), what="attention with Dv=3, D=8",
                 rtol=1e-5, atol=1e-5,
                 hint="the output has v's feature size: (..., L, Dv); scale by sqrt of q's feature "
                      "size D, not of v's")


def test_scales_by_sqrt_of_feature_size(kata):
    """divides the scores by sqrt(D), D the feature size (not the sequence length)"""
    q, k, v = _qkv(12, (2, 3, 32), (2, 6, 32))
    q = q * 0.3
    assert_close(_attend(kata, q, k, v), _reference(q, k, v), what="attention with D=32, L=3, S=6",
                 rtol=1e-5, atol=1e-5,
                 hint="the scores must be divided by sqrt(D), D = q.shape[-1] the feature size "
                      "(not by the sequence length, not by D itself, and not left unscaled)")


def test_weights_sum_to_one_over_keys(kata):
    """each query's weights sum to 1 over the keys: values all 1 give outputs all 1"""
    q, k, _ = _qkv(13, (2, 4, 8), (2, 7, 8))
    v = torch.ones(2, 7, 5)
    assert_close(_attend(kata, q, k, v), torch.ones(2, 4, 5), what="attention over all-ones values",
                 rtol=1e-5, atol=1e-5,
                 hint="each query's weights must sum to 1 over the keys: take the softmax over the "
                      "last dim (dim=-1), the keys, not over the queries")


@pytest.mark.weight(2)
@pytest.mark.parametrize("shape", [(2, 6, 8), (2, 2, 5, 4)], ids=["3d", "4d"])
def test_causal_matches_sdpa(kata, device, shape):
    """causal=True equals F.scaled_dot_product_attention(is_causal=True)"""
    q, k, v = _qkv(14, shape, shape, device)
    expected = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    assert_close(_attend(kata, q, k, v, causal=True), expected, what="causal attention",
                 rtol=1e-5, atol=1e-5,
                 hint="causal: query i may attend only to keys j <= i (allowed = tril of ones(L, S)); "
                      "fill the others with -inf before the softmax")


def test_causal_first_and_last_query(kata):
    """causal: the first query sees only the first key, the last query sees every key"""
    q, k, v = _qkv(15, (1, 5, 4), (1, 5, 4))
    out = _attend(kata, q, k, v, causal=True)
    expect_tensor(out, "the causal attention output", shape=(1, 5, 4), hint=ONLY_OUTPUT[2:])
    assert_close(out[:, 0], v[:, 0], what="the first query's output",
                 hint="the causal mask is reversed or shifted: query i attends to keys j <= i "
                      "(tril, diagonal included), so query 0 sees only key 0 and its output is v[0]")
    assert_close(out[:, -1], _reference(q, k, v)[:, -1], what="the last query's output",
                 rtol=1e-5, atol=1e-5,
                 hint="the causal mask is reversed: query i attends to keys j <= i (tril), so the "
                      "last query sees every key")


@pytest.mark.parametrize("L,S", [(3, 5), (5, 3)])
def test_causal_rectangular(kata, L, S):
    """causal with L != S uses the top-left aligned pattern ones(L, S).tril()"""
    q, k, v = _qkv(16, (2, L, 4), (2, S, 4))
    assert_close(_attend(kata, q, k, v, causal=True), _reference(q, k, v, causal=True),
                 what=f"causal attention with L={L}, S={S}", rtol=1e-5, atol=1e-5,
                 hint="build the causal pattern with shape (L, S) from the scores' last two dims: "
                      "torch.ones(L, S, dtype=torch.bool).tril()")


@pytest.mark.weight(2)
@pytest.mark.parametrize("shape_q,shape_kv,mask_batch", [
    ((3, 4, 8), (3, 6, 8), (3,)),
    ((4, 4, 8), (4, 4, 8), (4,)),
    ((2, 3, 5, 8), (2, 3, 6, 8), (2, 1)),
], ids=["3d", "3d-B==L", "4d-heads"])
def test_padding_mask_matches_sdpa(kata, device, shape_q, shape_kv, mask_batch):
    """keys with key_padding_mask True get no weight, for 3-D and 4-D inputs"""
    q, k, v = _qkv(17, shape_q, shape_kv, device)
    pad = _pad_mask(18, mask_batch, shape_kv[-2], device)
    assert_close(_attend(kata, q, k, v, key_padding_mask=pad), _reference(q, k, v, pad=pad),
                 what=f"attention with a padding mask of shape {tuple(pad.shape)}",
                 rtol=1e-5, atol=1e-5, hint=PADDING)


def test_padded_keys_have_no_effect(kata):
    """padded keys holding huge garbage change nothing: the result equals dropping them"""
    q, k, v = _qkv(19, (2, 4, 8), (2, 6, 8))
    pad = torch.tensor([[False] * 4 + [True] * 2, [False] * 3 + [True] * 3])
    k_bad, v_bad = k.clone(), v.clone()
    k_bad[pad] *= 1e5
    v_bad[pad] *= 1e3
    out = _attend(kata, q, k_bad, v_bad, key_padding_mask=pad)
    expect_tensor(out, "the attention output", shape=(2, 4, 8), hint=ONLY_OUTPUT[2:])
    for b, keep in enumerate((4, 3)):
        expected = _reference(q[b], k[b, :keep], v[b, :keep])
        assert_close(out[b], expected, what=f"batch {b} (only its first {keep} keys are real)",
                     rtol=1e-5, atol=1e-5,
                     hint="padded keys still influence the result: fill their scores with "
                          "float('-inf') before the softmax. A big negative number such as -1e4 is "
                          "not enough when scores are large, and zeroing weights after the softmax "
                          "leaves rows that no longer sum to 1")


def test_causal_and_padding_together(kata, device):
    """both masks at once, on 4-D (B, H, L, D) inputs"""
    q, k, v = _qkv(20, (3, 2, 5, 4), (3, 2, 5, 4), device)
    pad = _pad_mask(21, (3, 1), 5, device)
    assert_close(_attend(kata, q, k, v, causal=True, key_padding_mask=pad),
                 _reference(q, k, v, causal=True, pad=pad), what="attention with both masks",
                 rtol=1e-5, atol=1e-5,
                 hint="apply both masks (a key is allowed only if j <= i AND it is not padding) "
                      "before the softmax")


@pytest.mark.weight(2)
@pytest.mark.parametrize("dtype,tol", [(torch.float16, 1e-2), (torch.bfloat16, 5e-2), (torch.float64, 1e-10)],
                         ids=["float16", "bfloat16", "float64"])
def test_keeps_dtype(kata, dtype, tol):
    """keeps the input's dtype (float16, bfloat16, float64), with both masks"""
    q, k, v = _qkv(22, (2, 5, 8), (2, 5, 8), dtype=dtype)
    pad = _pad_mask(23, (2,), 5)
    out = _attend(kata, q, k, v, causal=True, key_padding_mask=pad)
    expect_tensor(out, f"the output for {dtype} inputs", dtype=dtype,
                  hint="the result must keep q's dtype: a mask or constant created in float32 (the "
                       "default dtype) upcasts half-precision scores; build additive masks with "
                       "dtype=q.dtype, or use masked_fill with float('-inf')" + ONLY_OUTPUT)
    expected = _reference(q.double(), k.double(), v.double(), causal=True, pad=pad).to(dtype)
    assert_close(out, expected, what=f"attention in {dtype}", rtol=tol, atol=tol,
                 hint=GENERAL + "; mask with float('-inf')")


def test_device_propagates(kata):
    """creates its masks on the inputs' device (checked on the 'meta' device)"""
    q = torch.empty(2, 3, 5, 8, device="meta")
    pad = torch.zeros(2, 1, 5, dtype=torch.bool, device="meta")
    out = _attend(kata, q, q, q, causal=True, key_padding_mask=pad)
    expect_tensor(out, "attention of meta tensors", shape=(2, 3, 5, 8), device="meta",
                  hint="the output must be on the inputs' device: create masks with device=q.device, "
                       "never on the default (CPU) device" + ONLY_OUTPUT)


@pytest.mark.weight(2)
def test_gradients_flow(kata, device):
    """gradients reach q, k and v and equal those of F.scaled_dot_product_attention"""
    q, k, v = _qkv(24, (2, 4, 8), (2, 6, 8), device)
    pad = _pad_mask(25, (2,), 6, device)
    leaves = [t.clone().requires_grad_() for t in (q, k, v)]
    out = _attend(kata, *leaves, key_padding_mask=pad)
    expect_tensor(out, "the attention output", requires_grad=True,
                  hint="the output is cut off from autograd: do not detach, use .data, "
                       "torch.no_grad() or rebuild tensors with torch.tensor(...)" + ONLY_OUTPUT)
    g = torch.Generator().manual_seed(26)
    upstream = torch.randn(out.shape, generator=g).to(device)
    out.backward(upstream)
    refs = [t.clone().requires_grad_() for t in (q, k, v)]
    _reference(*refs, pad=pad).backward(upstream)
    for name, mine, ref in zip("qkv", leaves, refs):
        expect(mine.grad is not None, f"no gradient reached {name}: keep the computation in autograd")
        assert_close(mine.grad, ref.grad, what=f"the gradient of {name}", rtol=1e-4, atol=1e-5,
                     hint=f"the gradient of {name} is wrong: the forward computation must be "
                          "softmax(q @ k^T / sqrt(D)) @ v, masked with -inf, all in autograd")


def test_inputs_not_modified(kata):
    """leaves q, k, v and the mask unchanged"""
    q, k, v = _qkv(27, (2, 4, 8), (2, 4, 8))
    pad = _pad_mask(28, (2,), 4)
    before = [t.clone() for t in (q, k, v, pad)]
    _attend(kata, q, k, v, causal=True, key_padding_mask=pad, _copy=False)
    for name, now, then in zip(("q", "k", "v", "key_padding_mask"), (q, k, v, pad), before):
        expect(bool(torch.equal(now, then)),
               f"{name} was changed in place: attention must not modify its inputs (write "
               "q = q / scale, not q /= scale or q.mul_(...); ~mask, not mask.logical_not_())")


@pytest.mark.gpu
def test_cuda_half_with_masks(kata):
    """float16 on CUDA with both masks equals F.scaled_dot_product_attention"""
    q, k, v = _qkv(29, (4, 2, 16, 32), (4, 2, 16, 32), device="cuda", dtype=torch.float16)
    pad = _pad_mask(30, (4, 1), 16, device="cuda")
    out = _attend(kata, q, k, v, causal=True, key_padding_mask=pad)
    expect_tensor(out, "the output on CUDA", dtype=torch.float16, device="cuda",
                  hint="keep q's dtype and device" + ONLY_OUTPUT)
    expected = _reference(q.double(), k.double(), v.double(), causal=True, pad=pad).half()
    assert_close(out, expected, what="float16 attention on CUDA", rtol=1e-2, atol=1e-2,
                 hint=GENERAL + "; mask with float('-inf')")
