"""Hidden tests for 04_architectures/transformer_block."""

import pytest
import torch
from torch import nn

from grader.checks import assert_close, expect, expect_tensor, explain, manual_seed

RULES = {
    r"Missing key|Unexpected key|size mismatch for": (
        "nn.TransformerEncoderLayer's weights do not load into the block: name the submodules "
        "self_attn (nn.MultiheadAttention), linear1 (d_model -> dim_feedforward), linear2 "
        "(dim_feedforward -> d_model), norm1, norm2 (nn.LayerNorm), and add no other parameters"),
    r"'tuple'|not tuple": (
        "nn.MultiheadAttention returns a pair (output, weights): take its [0]"),
    r"expected device|same device|on device": (
        "a mask was created on the wrong device: build it with device=x.device (here the inputs "
        "are on the 'meta' device, like they would be on 'cuda')"),
    r"must match the size of tensor b|Expected key_padded_mask|batch_first|shape": (
        "shapes do not line up: self_attn needs batch_first=True for (B, L, E) inputs, "
        "key_padding_mask is (B, L) and the causal attn_mask (L, L)"),
}
GENERAL = ("the output differs from nn.TransformerEncoderLayer(norm_first=True) in eval mode. It is "
           "pre-norm: x = x + dropout1(self_attn(norm1(x))), then x = x + dropout2(linear2(dropout("
           "relu(linear1(norm2(x)))))); normalize only the sublayer's input and add to the "
           "un-normalized x (not post-norm), use norm2 before the feed-forward part, and ReLU as the "
           "activation")


def _pair(kata, d_model, nhead, dim_ff, dropout, seed):
    """The reference layer with random weights (norms included) and the block with them loaded."""
    manual_seed(seed)
    ref = nn.TransformerEncoderLayer(d_model, nhead, dim_ff, dropout, batch_first=True, norm_first=True)
    with torch.no_grad():
        for name, p in ref.named_parameters():
            if name.startswith("norm") and name.endswith("weight"):
                p.normal_(1.0, 0.3)
            elif name.endswith("bias"):
                p.normal_(0.0, 0.3)
    with explain(RULES):
        block = kata.TransformerBlock(d_model, nhead, dim_ff, dropout)
    expect(isinstance(block, nn.Module), "TransformerBlock must subclass nn.Module")
    with explain(RULES):
        block.load_state_dict(ref.state_dict())
    return ref, block


def _x(seed, B, L, E, device="cpu", dtype=torch.float32):
    return torch.randn(B, L, E, generator=torch.Generator().manual_seed(seed)).to(device, dtype)


def _pad(B, L, device="cpu"):
    lengths = torch.tensor([max(1, L - 2 - b) for b in range(B)])
    return (torch.arange(L) >= lengths[:, None]).to(device)


def _expected(ref, x, pad=None, causal=False):
    L = x.shape[1]
    mask = torch.ones(L, L, dtype=torch.bool, device=x.device).triu(1) if causal else None
    with torch.no_grad():
        return ref.eval()(x, src_mask=mask, src_key_padding_mask=pad)


def _run(block, x, **kwargs):
    with explain(RULES):
        return block(x, **kwargs)


def test_submodules(kata):
    """has the documented submodules: self_attn (batch first), linear1, linear2, norm1, norm2"""
    with explain(RULES):
        block = kata.TransformerBlock(16, 4, 32, 0.1)
    attn = getattr(block, "self_attn", None)
    expect(type(attn) is nn.MultiheadAttention,
           "self_attn should be an nn.MultiheadAttention(d_model, nhead, dropout=dropout, batch_first=True)")
    expect(attn.batch_first is True, "self_attn must be created with batch_first=True: inputs are (B, L, E)")
    for name, kind, shape in (("linear1", nn.Linear, (32, 16)), ("linear2", nn.Linear, (16, 32)),
                              ("norm1", nn.LayerNorm, (16,)), ("norm2", nn.LayerNorm, (16,))):
        layer = getattr(block, name, None)
        expect(type(layer) is kind and tuple(layer.weight.shape) == shape,
               f"{name} should be an nn.{kind.__name__} with weight of shape {shape}")


@pytest.mark.weight(3)
@pytest.mark.parametrize("d,h,ff,B,L", [(16, 4, 32, 3, 5), (8, 1, 24, 2, 7), (12, 3, 12, 1, 4)],
                         ids=["d16h4", "d8h1", "d12h3"])
def test_eval_matches_encoder_layer(kata, device, d, h, ff, B, L):
    """in eval mode equals nn.TransformerEncoderLayer(norm_first=True) with the same weights"""
    ref, block = _pair(kata, d, h, ff, 0.1, 2)
    ref, block = ref.to(device), block.to(device).eval()
    x = _x(3, B, L, d, device)
    expected = _expected(ref, x)
    assert_close(_run(block, x), expected, what=f"the eval-mode output (d_model={d}, nhead={h})",
                 rtol=1e-4, atol=1e-5, hint=GENERAL)


@pytest.mark.weight(2)
def test_key_padding_mask(kata, device):
    """passes key_padding_mask (True = padding) to the attention"""
    ref, block = _pair(kata, 16, 4, 32, 0.1, 4)
    ref, block = ref.to(device), block.to(device).eval()
    x, pad = _x(5, 3, 6, 16, device), _pad(3, 6, device)
    expected = _expected(ref, x, pad=pad)
    assert_close(_run(block, x, key_padding_mask=pad), expected, what="the output with a padding mask",
                 rtol=1e-4, atol=1e-5,
                 hint="pass key_padding_mask on to self_attn(..., key_padding_mask=key_padding_mask): "
                      "padded positions (True) must not be attended to")


@pytest.mark.weight(2)
def test_causal(kata, device):
    """causal=True: position i attends only to positions j <= i"""
    ref, block = _pair(kata, 16, 2, 32, 0.1, 6)
    ref, block = ref.to(device), block.to(device).eval()
    x = _x(7, 2, 6, 16, device)
    expected = _expected(ref, x, causal=True)
    assert_close(_run(block, x, causal=True), expected, what="the causal output", rtol=1e-4, atol=1e-5,
                 hint="nn.MultiheadAttention's bool attn_mask uses True = \"not allowed\": the causal "
                      "mask is ones(L, L).triu(1) (positions j > i blocked), not tril")


def test_both_masks(kata):
    """causal and padding masks together"""
    ref, block = _pair(kata, 8, 2, 16, 0.1, 8)
    block.eval()
    x, pad = _x(9, 2, 5, 8), _pad(2, 5)
    expected = _expected(ref, x, pad=pad, causal=True)
    assert_close(_run(block, x, key_padding_mask=pad, causal=True), expected,
                 what="the output with both masks", rtol=1e-4, atol=1e-5,
                 hint="pass both the causal attn_mask and the key_padding_mask to self_attn")


@pytest.mark.weight(2)
def test_eval_mode_has_no_dropout(kata):
    """in eval mode dropout is off: two calls give identical results"""
    _, block = _pair(kata, 8, 2, 16, 0.5, 10)
    block.eval()
    x = _x(11, 2, 5, 8)
    first, second = _run(block, x), _run(block, x)
    expect_tensor(first, "the output", shape=(2, 5, 8))
    expect(bool(torch.equal(first, second)),
           "dropout is active in eval mode: use nn.Dropout modules, or F.dropout(..., "
           "training=self.training); F.dropout's training defaults to True")


@pytest.mark.weight(2)
def test_train_mode_applies_dropout(kata):
    """in train mode dropout is applied: outputs are random and differ from eval mode"""
    _, block = _pair(kata, 16, 4, 32, 0.5, 12)
    x = _x(13, 2, 6, 16)
    block.eval()
    evaluated = _run(block, x)
    block.train()
    first, second = _run(block, x), _run(block, x)
    expect_tensor(first, "the output", shape=(2, 6, 16))
    expect(not bool(torch.equal(first, second)) and not bool(torch.equal(first, evaluated)),
           "dropout is not applied in train mode: use nn.Dropout modules created with the given "
           "dropout probability, called in forward")


@pytest.mark.weight(2)
def test_full_dropout_keeps_only_the_residual(kata):
    """with dropout=1 in train mode each sublayer's output is dropped, so the block returns x"""
    _, block = _pair(kata, 8, 2, 16, 1.0, 14)
    block.train()
    x = _x(15, 2, 5, 8)
    assert_close(_run(block, x), x.clone(), what="the train-mode output with dropout=1.0", atol=1e-6,
                 hint="apply dropout to each sublayer's output (dropout1 after attention, dropout2 "
                      "after the feed-forward part) before adding it to x, and never to the "
                      "residual stream x itself")


def test_uses_the_given_dropout(kata):
    """every dropout, the attention's included, uses the given probability"""
    with explain(RULES):
        block = kata.TransformerBlock(8, 2, 16, 0.3)
    attn = getattr(block, "self_attn", None)
    expect(type(attn) is nn.MultiheadAttention and attn.dropout == 0.3,
           "self_attn must get the dropout probability: nn.MultiheadAttention(..., dropout=dropout)")
    wrong = [name for name, m in block.named_modules() if type(m) is nn.Dropout and m.p != 0.3]
    expect(not wrong, f"the dropout modules {wrong} do not use the given probability 0.3")


def test_mode_is_left_alone(kata):
    """forward keeps the train/eval mode of the block and its submodules"""
    _, block = _pair(kata, 8, 2, 16, 0.1, 16)
    x = _x(17, 1, 3, 8)
    for training in (True, False):
        block.train(training)
        _run(block, x)
        modes = {name: m.training for name, m in block.named_modules()}
        changed = [name or "the block" for name, mode in modes.items() if mode != training]
        expect(not changed, f"forward changed the train/eval mode of {changed}: never call "
                            "self.train()/self.eval() inside forward")


@pytest.mark.weight(2)
def test_gradients_match(kata):
    """parameter gradients equal nn.TransformerEncoderLayer's (eval mode)"""
    ref, block = _pair(kata, 8, 2, 16, 0.1, 18)
    ref.eval()
    block.eval()
    x = _x(19, 2, 4, 8)
    upstream = torch.randn(2, 4, 8, generator=torch.Generator().manual_seed(20))
    ref(x).backward(upstream)
    out = _run(block, x)
    expect_tensor(out, "the output", shape=(2, 4, 8), requires_grad=True,
                  hint="the output is cut off from autograd: no detach(), .data or torch.no_grad() in forward")
    out.backward(upstream)
    mine = dict(block.named_parameters())
    for name, p in ref.named_parameters():
        expect(mine[name].grad is not None, f"no gradient reached {name}: use every layer in forward")
        assert_close(mine[name].grad, p.grad, what=f"the gradient of {name}", rtol=1e-4, atol=1e-5,
                     hint=GENERAL)


def test_input_not_modified(kata):
    """leaves x unchanged (the residual adds make a new tensor)"""
    _, block = _pair(kata, 8, 2, 16, 0.1, 21)
    block.eval()
    x = _x(22, 2, 4, 8)
    before = x.clone()
    _run(block, x)
    expect(bool(torch.equal(x, before)), "x was changed in place: write x = x + ..., not x += ...")


def test_meta_device(kata):
    """builds its causal mask on the input's device (checked on the 'meta' device)"""
    _, block = _pair(kata, 8, 2, 16, 0.1, 23)
    block.to("meta").eval()
    x = torch.empty(2, 5, 8, device="meta")
    pad = torch.zeros(2, 5, dtype=torch.bool, device="meta")
    out = _run(block, x, key_padding_mask=pad, causal=True)
    expect_tensor(out, "the output on meta tensors", shape=(2, 5, 8), device="meta",
                  hint="the output must stay on the input's device: create the causal mask with device=x.device")


def test_float64(kata):
    """works in float64 after .double()"""
    ref, block = _pair(kata, 8, 2, 16, 0.1, 24)
    ref, block = ref.double(), block.double().eval()
    x = _x(25, 2, 4, 8, dtype=torch.float64)
    expected = _expected(ref, x, causal=True)
    assert_close(_run(block, x, causal=True), expected, what="the float64 output", rtol=1e-7, atol=1e-9,
                 hint="keep the input's dtype; " + GENERAL)


@pytest.mark.gpu
def test_cuda(kata):
    """matches the reference on CUDA in eval mode, with both masks"""
    ref, block = _pair(kata, 32, 4, 64, 0.1, 26)
    ref, block = ref.cuda(), block.cuda().eval()
    x, pad = _x(27, 4, 16, 32, "cuda"), _pad(4, 16, "cuda")
    expected = _expected(ref, x, pad=pad, causal=True)
    out = _run(block, x, key_padding_mask=pad, causal=True)
    expect_tensor(out, "the output on CUDA", device="cuda", dtype=torch.float32)
    assert_close(out, expected, what="the output on CUDA", rtol=1e-3, atol=1e-4, hint=GENERAL)
