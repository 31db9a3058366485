"""Hidden tests for 04_architectures/transformer_block: the checks. The scenarios are in
observe_transformer_block.py."""

import pytest
import torch
from torch import nn

from grader.checks import assert_close, expect, expect_tensor
from grader.observe import scenarios_of

scenes = scenarios_of(__file__)

GENERAL = ("the output differs from nn.TransformerEncoderLayer(norm_first=True) in eval mode. It "
           "is pre-norm: x = x + dropout1(self_attn(norm1(x))), then x = x + dropout2(linear2("
           "dropout(relu(linear1(norm2(x)))))); normalize only the sublayer's input and add to the "
           "un-normalized x (not post-norm), use norm2 before the feed-forward part, and ReLU as "
           "the activation")


def _built(observed):
    """The facts a scenario saw, once TransformerBlock(...) turned out to be an nn.Module."""
    expect(observed["is_module"], "TransformerBlock must subclass nn.Module")
    return observed


def _expected(ref, x, pad=None, causal=False):
    L = x.shape[1]
    mask = torch.ones(L, L, dtype=torch.bool, device=x.device).triu(1) if causal else None
    with torch.no_grad():
        return ref.eval()(x, src_mask=mask, src_key_padding_mask=pad)


def _name_of(kind):
    return f"{kind.__module__}.{kind.__qualname__}"


def _check_has_modules(modules):
    """`modules`: observed facts keyed by the block's submodule names. The block and the
    submodules holding nn.TransformerEncoderLayer's weights must be among them (dropout modules
    are optional: F.dropout will do)."""
    ref = scenes.encoder_layer(8, 2, 16, 0.3, 0)
    needed = [""] + [name for name, m in ref.named_modules()
                     if next(m.parameters(recurse=False), None) is not None]
    missing = [name for name in needed if name not in modules]
    expect(not missing, f"the block has no submodules {missing}: create self_attn, linear1, "
                        "linear2, norm1 and norm2 as listed in the module docstring")


def test_submodules(observed):
    """has the documented submodules: self_attn (batch first), linear1, linear2, norm1, norm2"""
    expect(observed["self_attn_type"] == _name_of(nn.MultiheadAttention),
           "self_attn should be an nn.MultiheadAttention(d_model, nhead, dropout=dropout, "
           "batch_first=True)")
    expect(observed["batch_first"] is True,
           "self_attn must be created with batch_first=True: inputs are (B, L, E)")
    for name, kind, shape in (("linear1", nn.Linear, (32, 16)), ("linear2", nn.Linear, (16, 32)),
                              ("norm1", nn.LayerNorm, (16,)), ("norm2", nn.LayerNorm, (16,))):
        layer = observed["layers"][name]
        expect(layer["type"] == _name_of(kind) and layer["weight_shape"] == shape,
               f"{name} should be an nn.{kind.__name__} with weight of shape {shape}")


@pytest.mark.weight(3)
@pytest.mark.parametrize("d,h,ff,B,L", [(16, 4, 32, 3, 5), (8, 1, 24, 2, 7), (12, 3, 12, 1, 4)],
                         ids=["d16h4", "d8h1", "d12h3"])
def test_eval_matches_encoder_layer(observed, device, d, h, ff, B, L):
    """in eval mode equals nn.TransformerEncoderLayer(norm_first=True) with the same weights"""
    out = _built(observed)["out"]
    ref = scenes.encoder_layer(d, h, ff, 0.1, 2).to(device)
    expected = _expected(ref, scenes.inputs(3, B, L, d, device))
    assert_close(out, expected, what=f"the eval-mode output (d_model={d}, nhead={h})",
                 rtol=1e-4, atol=1e-5, hint=GENERAL)


@pytest.mark.weight(2)
def test_key_padding_mask(observed, device):
    """passes key_padding_mask (True = padding) to the attention"""
    out = _built(observed)["out"]
    ref = scenes.encoder_layer(16, 4, 32, 0.1, 4).to(device)
    expected = _expected(ref, scenes.inputs(5, 3, 6, 16, device), pad=scenes.padding(3, 6, device))
    assert_close(out, expected, what="the output with a padding mask", rtol=1e-4, atol=1e-5,
                 hint="pass key_padding_mask on to self_attn(..., "
                      "key_padding_mask=key_padding_mask): padded positions (True) must not be "
                      "attended to")


@pytest.mark.weight(2)
def test_causal(observed, device):
    """causal=True: position i attends only to positions j <= i"""
    out = _built(observed)["out"]
    ref = scenes.encoder_layer(16, 2, 32, 0.1, 6).to(device)
    expected = _expected(ref, scenes.inputs(7, 2, 6, 16, device), causal=True)
    assert_close(out, expected, what="the causal output", rtol=1e-4, atol=1e-5,
                 hint="nn.MultiheadAttention's bool attn_mask uses True = \"not allowed\": the "
                      "causal mask is ones(L, L).triu(1) (positions j > i blocked), not tril")


def test_both_masks(observed):
    """causal and padding masks together"""
    out = _built(observed)["out"]
    ref = scenes.encoder_layer(8, 2, 16, 0.1, 8)
    expected = _expected(ref, scenes.inputs(9, 2, 5, 8), pad=scenes.padding(2, 5), causal=True)
    assert_close(out, expected, what="the output with both masks", rtol=1e-4, atol=1e-5,
                 hint="pass both the causal attn_mask and the key_padding_mask to self_attn")


@pytest.mark.weight(2)
def test_eval_mode_has_no_dropout(observed):
    """in eval mode dropout is off: two calls give identical results"""
    seen = _built(observed)
    first = expect_tensor(seen["first"], "the output", shape=(2, 5, 8))
    expect(type(seen["second"]) is torch.Tensor and bool(torch.equal(first, seen["second"])),
           "dropout is active in eval mode: use nn.Dropout modules, or F.dropout(..., "
           "training=self.training); F.dropout's training defaults to True")


@pytest.mark.weight(2)
def test_train_mode_applies_dropout(observed):
    """in train mode dropout is applied: outputs are random and differ from eval mode"""
    seen = _built(observed)
    first = expect_tensor(seen["first"], "the output", shape=(2, 6, 16))
    second, evaluated = seen["second"], seen["evaluated"]
    expect(type(second) is torch.Tensor and type(evaluated) is torch.Tensor
           and not bool(torch.equal(first, second)) and not bool(torch.equal(first, evaluated)),
           "dropout is not applied in train mode: use nn.Dropout modules created with the given "
           "dropout probability, called in forward")


@pytest.mark.weight(2)
def test_full_dropout_keeps_only_the_residual(observed):
    """with dropout=1 in train mode each sublayer's output is dropped, so the block returns x"""
    assert_close(_built(observed)["out"], scenes.inputs(15, 2, 5, 8),
                 what="the train-mode output with dropout=1.0", atol=1e-6,
                 hint="apply dropout to each sublayer's output (dropout1 after attention, dropout2 "
                      "after the feed-forward part) before adding it to x, and never to the "
                      "residual stream x itself")


def test_uses_the_given_dropout(observed):
    """every dropout, the attention's included, uses the given probability"""
    expect(observed["self_attn_type"] == _name_of(nn.MultiheadAttention)
           and observed["self_attn_dropout"] == 0.3,
           "self_attn must get the dropout probability: "
           "nn.MultiheadAttention(..., dropout=dropout)")
    dropouts = observed["dropouts"]  # {submodule name: an nn.Dropout's p, else None}
    _check_has_modules(dropouts)
    wrong = [name for name, p in dropouts.items() if p is not None and p != 0.3]
    expect(not wrong, f"the dropout modules {wrong} do not use the given probability 0.3")


def test_mode_is_left_alone(observed):
    """forward keeps the train/eval mode of the block and its submodules"""
    seen = _built(observed)
    for training, modes in ((True, seen["modes_after_train"]), (False, seen["modes_after_eval"])):
        _check_has_modules(modes)
        changed = [name or "the block" for name, mode in modes.items() if mode != training]
        expect(not changed, f"forward changed the train/eval mode of {changed}: never call "
                            "self.train()/self.eval() inside forward")


@pytest.mark.weight(2)
def test_gradients_match(observed):
    """parameter gradients equal nn.TransformerEncoderLayer's (eval mode)"""
    seen = _built(observed)
    ref = scenes.encoder_layer(8, 2, 16, 0.1, 18).eval()
    ref(scenes.inputs(19, 2, 4, 8)).backward(scenes.upstream_gradient())
    expect_tensor(seen["out"], "the output", shape=(2, 4, 8), requires_grad=True,
                  hint="the output is cut off from autograd: no detach(), .data or torch.no_grad() "
                       "in forward")
    for name, p in ref.named_parameters():
        grad = seen["grads"].get(name)
        expect(grad is not None, f"no gradient reached {name}: use every layer in forward")
        assert_close(grad, p.grad, what=f"the gradient of {name}", rtol=1e-4, atol=1e-5,
                     hint=GENERAL)


def test_input_not_modified(observed):
    """leaves x unchanged (the residual adds make a new tensor)"""
    x = _built(observed)["input_after"]
    expect(type(x) is torch.Tensor and bool(torch.equal(x, scenes.inputs(22, 2, 4, 8))),
           "x was changed in place: write x = x + ..., not x += ...")


def test_meta_device(observed):
    """builds its causal mask on the input's device (checked on the 'meta' device)"""
    expect_tensor(_built(observed)["out"], "the output on meta tensors", shape=(2, 5, 8),
                  device="meta",
                  hint="the output must stay on the input's device: create the causal mask with "
                       "device=x.device")


def test_float64(observed):
    """works in float64 after .double()"""
    out = _built(observed)["out"]
    ref = scenes.encoder_layer(8, 2, 16, 0.1, 24).double()
    expected = _expected(ref, scenes.inputs(25, 2, 4, 8, dtype=torch.float64), causal=True)
    assert_close(out, expected, what="the float64 output", rtol=1e-7, atol=1e-9,
                 hint="keep the input's dtype; " + GENERAL)


@pytest.mark.gpu
def test_cuda(observed):
    """matches the reference on CUDA in eval mode, with both masks"""
    out = _built(observed)["out"]
    ref = scenes.encoder_layer(32, 4, 64, 0.1, 26).cuda()
    expected = _expected(ref, scenes.inputs(27, 4, 16, 32, "cuda"),
                         pad=scenes.padding(4, 16, "cuda"), causal=True)
    expect_tensor(out, "the output on CUDA", device="cuda", dtype=torch.float32)
    assert_close(out, expected, what="the output on CUDA", rtol=1e-3, atol=1e-4, hint=GENERAL)
