"""Scenarios for 04_architectures/transformer_block: they run beside the submission and only
observe.

No expected value belongs here (this module is in the submission's process when grading); the
checks are in test_transformer_block.py, which rebuilds the inputs with the builders below and
runs nn.TransformerEncoderLayer itself. Here that layer is only the source of seeded weights.
"""

import torch
from torch import nn

from grader.checks import explain, manual_seed
from grader.observe import scenario

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
# What a scenario returns when TransformerBlock(...) is not an nn.Module: nothing else can run.
NOT_A_MODULE = {"is_module": False}
# The submodules the kata documents, for TransformerBlock(16, 4, 32, 0.1).
SUBMODULES = ("linear1", "linear2", "norm1", "norm2")


def encoder_layer(d_model, nhead, dim_ff, dropout, seed):
    """nn.TransformerEncoderLayer (pre-norm, batch first) with random weights, norms included.
    It seeds the global RNG, which the submission's block then goes on drawing from."""
    manual_seed(seed)
    layer = nn.TransformerEncoderLayer(d_model, nhead, dim_ff, dropout, batch_first=True,
                                       norm_first=True)
    with torch.no_grad():
        for name, p in layer.named_parameters():
            if name.startswith("norm") and name.endswith("weight"):
                p.normal_(1.0, 0.3)
            elif name.endswith("bias"):
                p.normal_(0.0, 0.3)
    return layer


def inputs(seed, B, L, E, device="cpu", dtype=torch.float32):
    return torch.randn(B, L, E, generator=torch.Generator().manual_seed(seed)).to(device, dtype)


def padding(B, L, device="cpu"):
    lengths = torch.tensor([max(1, L - 2 - b) for b in range(B)])
    return (torch.arange(L) >= lengths[:, None]).to(device)


def upstream_gradient():
    return torch.randn(2, 4, 8, generator=torch.Generator().manual_seed(20))


def _block(kata, d_model, nhead, dim_ff, dropout, seed):
    """The submission's block holding encoder_layer(...)'s weights (as created, if no module)."""
    weights = encoder_layer(d_model, nhead, dim_ff, dropout, seed).state_dict()
    with explain(RULES):
        block = kata.TransformerBlock(d_model, nhead, dim_ff, dropout)
    if isinstance(block, nn.Module):
        with explain(RULES):
            block.load_state_dict(weights)
    return block


def _run(block, x, **kwargs):
    with explain(RULES):
        return block(x, **kwargs)


def _seen(**facts):
    return {"is_module": True, **facts}


def _type_name(obj):
    kind = type(obj)
    return f"{kind.__module__}.{kind.__qualname__}"


@scenario
def submodules(kata):
    with explain(RULES):
        block = kata.TransformerBlock(16, 4, 32, 0.1)
    attn = getattr(block, "self_attn", None)
    layers = {}
    for name in SUBMODULES:
        layer = getattr(block, name, None)
        weight = getattr(layer, "weight", None)
        layers[name] = {"type": _type_name(layer),
                        "weight_shape": weight.shape if isinstance(weight, torch.Tensor) else None}
    return {"self_attn_type": _type_name(attn),
            "batch_first": getattr(attn, "batch_first", None), "layers": layers}


@scenario
def eval_matches_encoder_layer(kata, device, d, h, ff, B, L):
    block = _block(kata, d, h, ff, 0.1, 2)
    if not isinstance(block, nn.Module):
        return NOT_A_MODULE
    block = block.to(device).eval()
    return _seen(out=_run(block, inputs(3, B, L, d, device)))


@scenario
def key_padding_mask(kata, device):
    block = _block(kata, 16, 4, 32, 0.1, 4)
    if not isinstance(block, nn.Module):
        return NOT_A_MODULE
    block = block.to(device).eval()
    pad = padding(3, 6, device)
    return _seen(out=_run(block, inputs(5, 3, 6, 16, device), key_padding_mask=pad))


@scenario
def causal(kata, device):
    block = _block(kata, 16, 2, 32, 0.1, 6)
    if not isinstance(block, nn.Module):
        return NOT_A_MODULE
    block = block.to(device).eval()
    return _seen(out=_run(block, inputs(7, 2, 6, 16, device), causal=True))


@scenario
def both_masks(kata):
    block = _block(kata, 8, 2, 16, 0.1, 8)
    if not isinstance(block, nn.Module):
        return NOT_A_MODULE
    block.eval()
    return _seen(out=_run(block, inputs(9, 2, 5, 8), key_padding_mask=padding(2, 5), causal=True))


@scenario
def eval_mode_has_no_dropout(kata):
    block = _block(kata, 8, 2, 16, 0.5, 10)
    if not isinstance(block, nn.Module):
        return NOT_A_MODULE
    block.eval()
    x = inputs(11, 2, 5, 8)
    return _seen(first=_run(block, x), second=_run(block, x))


@scenario
def train_mode_applies_dropout(kata):
    block = _block(kata, 16, 4, 32, 0.5, 12)
    if not isinstance(block, nn.Module):
        return NOT_A_MODULE
    x = inputs(13, 2, 6, 16)
    block.eval()
    evaluated = _run(block, x)
    block.train()
    return _seen(evaluated=evaluated, first=_run(block, x), second=_run(block, x))


@scenario
def full_dropout_keeps_only_the_residual(kata):
    block = _block(kata, 8, 2, 16, 1.0, 14)
    if not isinstance(block, nn.Module):
        return NOT_A_MODULE
    block.train()
    return _seen(out=_run(block, inputs(15, 2, 5, 8)))


@scenario
def uses_the_given_dropout(kata):
    with explain(RULES):
        block = kata.TransformerBlock(8, 2, 16, 0.3)
    attn = getattr(block, "self_attn", None)
    named_modules = block.named_modules() if isinstance(block, nn.Module) else ()
    # every submodule, so that the check sees which ones exist: an nn.Dropout's p, else None
    return {"self_attn_type": _type_name(attn),
            "self_attn_dropout": getattr(attn, "dropout", None),
            "dropouts": {name: m.p if type(m) is nn.Dropout else None
                         for name, m in named_modules}}


@scenario
def mode_is_left_alone(kata):
    block = _block(kata, 8, 2, 16, 0.1, 16)
    if not isinstance(block, nn.Module):
        return NOT_A_MODULE
    x = inputs(17, 1, 3, 8)
    modes = []
    for training in (True, False):
        block.train(training)
        _run(block, x)
        modes.append({name: m.training for name, m in block.named_modules()})
    return _seen(modes_after_train=modes[0], modes_after_eval=modes[1])


@scenario
def gradients_match(kata):
    block = _block(kata, 8, 2, 16, 0.1, 18)
    if not isinstance(block, nn.Module):
        return NOT_A_MODULE
    block.eval()
    upstream = upstream_gradient()
    out = _run(block, inputs(19, 2, 4, 8))
    # backward() only where it can run; the check explains any other output
    if isinstance(out, torch.Tensor) and out.requires_grad and out.shape == upstream.shape:
        out.backward(upstream)
    return _seen(out=out, grads={name: p.grad for name, p in block.named_parameters()})


@scenario
def input_not_modified(kata):
    block = _block(kata, 8, 2, 16, 0.1, 21)
    if not isinstance(block, nn.Module):
        return NOT_A_MODULE
    block.eval()
    x = inputs(22, 2, 4, 8)
    _run(block, x)
    return _seen(input_after=x)


@scenario
def meta_device(kata):
    block = _block(kata, 8, 2, 16, 0.1, 23)
    if not isinstance(block, nn.Module):
        return NOT_A_MODULE
    block.to("meta").eval()
    x = torch.empty(2, 5, 8, device="meta")
    pad = torch.zeros(2, 5, dtype=torch.bool, device="meta")
    return _seen(out=_run(block, x, key_padding_mask=pad, causal=True))


@scenario
def float64(kata):
    block = _block(kata, 8, 2, 16, 0.1, 24)
    if not isinstance(block, nn.Module):
        return NOT_A_MODULE
    block = block.double().eval()
    return _seen(out=_run(block, inputs(25, 2, 4, 8, dtype=torch.float64), causal=True))


@scenario
def cuda(kata):
    block = _block(kata, 32, 4, 64, 0.1, 26)
    if not isinstance(block, nn.Module):
        return NOT_A_MODULE
    block = block.cuda().eval()
    return _seen(out=_run(block, inputs(27, 4, 16, 32, "cuda"),
                          key_padding_mask=padding(4, 16, "cuda"), causal=True))
