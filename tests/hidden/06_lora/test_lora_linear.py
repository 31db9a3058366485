"""Hidden tests for 06_lora/lora_linear."""

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from grader.checks import assert_close, expect, expect_tensor, expect_type, manual_seed

B_ZERO = "lora_B must start at zero so the adapted layer equals the base layer"
FROZEN = ("the base layer is not frozen: call requires_grad_(False) on every parameter of base "
          "(weight and bias); `module.requires_grad = False` only sets an unused attribute")
FORMULA = ("the output should be base(x) + x @ lora_A.T @ lora_B.T * scaling, with "
           "scaling = alpha / r (check the scaling and that the base layer, bias included, is used)")


def _base(in_f, out_f, seed, bias=True, dtype=torch.float64, device="cpu"):
    manual_seed(seed)
    return nn.Linear(in_f, out_f, bias=bias).to(device=device, dtype=dtype)


def _param(layer, name, **props):
    """The adapter `name` as a plain detached tensor, after checking it is an nn.Parameter."""
    value = getattr(layer, name)
    expect(type(value) is nn.Parameter,
           f"{name} must be an nn.Parameter (registered on the module) so that parameters(), "
           f"the optimizer, .to() and state_dict() see it; got a {type(value).__name__}")
    return expect_tensor(value.detach(), name, **props)


def _adapters(layer, r, in_f, out_f):
    _param(layer, "lora_A", shape=(r, in_f),
           hint="lora_A should be an (r, in_features) tensor: x @ lora_A.T gives (..., r)")
    _param(layer, "lora_B", shape=(out_f, r),
           hint="lora_B should be an (out_features, r) tensor: (..., r) @ lora_B.T gives (..., out)")


def _set_adapters(layer, r, in_f, out_f, seed):
    """Give A and B known random values, as if after some training."""
    _adapters(layer, r, in_f, out_f)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        layer.lora_A.copy_(torch.randn(r, in_f, generator=g))
        layer.lora_B.copy_(torch.randn(out_f, r, generator=g))


def _expected(base, A, B, scaling, x):
    return F.linear(x, base.weight, base.bias) + (x @ A.T @ B.T) * scaling


@pytest.mark.parametrize("in_f,out_f,r", [(6, 4, 2), (16, 32, 8), (10, 3, 1)])
def test_adapter_shapes(kata, in_f, out_f, r):
    """creates lora_A of shape (r, in_features) and lora_B of shape (out_features, r)"""
    layer = kata.LoRALinear(_base(in_f, out_f, 0), r=r, alpha=2.0 * r)
    _adapters(layer, r, in_f, out_f)


@pytest.mark.weight(2)
def test_starts_equal_to_base(kata):
    """lora_B starts at zero, so the new layer first computes exactly the base layer"""
    base = _base(12, 7, 1)
    layer = kata.LoRALinear(base, r=4, alpha=8.0)
    _adapters(layer, 4, 12, 7)
    expect(not bool(layer.lora_B.detach().any()),
           B_ZERO + " (init it with zeros; the random init belongs to lora_A)")
    x = torch.randn(5, 12, dtype=torch.float64)
    assert_close(layer(x).detach(), base(x).detach(), what="the output before training", hint=B_ZERO)


@pytest.mark.weight(2)
def test_lora_A_kaiming_uniform(kata):
    """initialises lora_A non-zero, Kaiming-uniform with a=sqrt(5) (bound 1/sqrt(in_features))"""
    manual_seed(2)
    in_f, r = 64, 8
    layer = kata.LoRALinear(_base(in_f, 16, 2), r=r, alpha=16.0)
    _adapters(layer, r, in_f, 16)
    A = layer.lora_A.detach().double()
    bound = 1 / math.sqrt(in_f)
    expect(bool(A.any()),
           "lora_A must start non-zero: with both lora_A and lora_B at zero neither gets a "
           "gradient and the adapter never trains")
    largest = float(A.abs().max())
    expect(largest <= bound * 1.0001,
           f"lora_A's values are too large for Kaiming-uniform with a=sqrt(5) (largest {largest:.3g}, "
           f"bound 1/sqrt(in_features) = {bound:.3g}): use nn.init.kaiming_uniform_(A, a=math.sqrt(5))")
    spread = float(A.std())
    expect(largest > 0.8 * bound and 0.8 < spread / (bound / math.sqrt(3)) < 1.2,
           f"lora_A does not look Kaiming-uniform with a=sqrt(5) (std {spread:.3g}, largest {largest:.3g}, "
           f"bound {bound:.3g}): use nn.init.kaiming_uniform_(A, a=math.sqrt(5))")


def test_base_frozen_adapters_trainable(kata):
    """freezes every base parameter and registers lora_A, lora_B as trainable parameters"""
    base = _base(8, 5, 3)
    layer = kata.LoRALinear(base, r=2)
    expect(layer.base is base,
           "keep the given base layer itself as self.base (no copy): the pretrained weights stay shared")
    expect(not base.weight.requires_grad and not base.bias.requires_grad, FROZEN)
    names = dict(layer.named_parameters())
    expect("lora_A" in names and "lora_B" in names,
           "lora_A and lora_B must be nn.Parameters (registered on the module) so that "
           "parameters(), the optimizer, .to() and state_dict() see them")
    trainable = sorted(n for n, p in layer.named_parameters() if p.requires_grad)
    expect(trainable == ["lora_A", "lora_B"],
           f"the trainable parameters should be exactly lora_A and lora_B, got {trainable}")


@pytest.mark.parametrize("r,alpha", [(8, 16.0), (4, 4.0), (2, 1.0)])
def test_scaling(kata, r, alpha):
    """stores scaling = alpha / r as a float"""
    layer = kata.LoRALinear(_base(8, 8, 4), r=r, alpha=alpha)
    expect_type(layer.scaling, float, "scaling", hint="scaling is the float alpha / r")
    expect(math.isclose(layer.scaling, alpha / r),
           f"scaling should be alpha / r = {alpha / r}, got {layer.scaling}")


@pytest.mark.weight(2)
@pytest.mark.parametrize("lead", [(7,), (2, 3), (2, 1, 4), ()])
def test_forward_values(kata, lead):
    """computes base(x) + x @ A.T @ B.T * alpha / r for any leading dimensions"""
    in_f, out_f, r, alpha = 6, 5, 3, 4.5
    base = _base(in_f, out_f, 5)
    layer = kata.LoRALinear(base, r=r, alpha=alpha)
    _set_adapters(layer, r, in_f, out_f, 6)
    x = torch.randn(*lead, in_f, generator=torch.Generator().manual_seed(7), dtype=torch.float64)
    x_before = x.clone()
    out = layer(x)
    expected = _expected(base, layer.lora_A, layer.lora_B, alpha / r, x)
    assert_close(out.detach(), expected.detach(), what=f"the output for an input of shape {tuple(x.shape)}",
                 hint="the output must keep the input's leading dimensions and be " + FORMULA)
    assert_close(x, x_before, what="the input after forward", hint="forward changed its input in place")


def test_gradients(kata):
    """backward reaches lora_A, lora_B and the input, never the frozen base"""
    in_f, out_f, r = 5, 4, 2
    base = _base(in_f, out_f, 8)
    layer = kata.LoRALinear(base, r=r, alpha=2.0)
    _set_adapters(layer, r, in_f, out_f, 9)
    x = torch.randn(3, in_f, dtype=torch.float64, requires_grad=True)
    out = layer(x)
    expect(out.requires_grad, "the output is not part of the autograd graph: do not compute it "
                              "under torch.no_grad() or from detached tensors")
    out.pow(2).sum().backward()
    expect(layer.lora_A.grad is not None and layer.lora_B.grad is not None
           and bool(layer.lora_A.grad.any()) and bool(layer.lora_B.grad.any()),
           "lora_A and lora_B got no gradient: they must be used in forward as trainable parameters")
    expect(base.weight.grad is None and (base.bias is None or base.bias.grad is None), FROZEN)
    expect(x.grad is not None, "no gradient reached the input: keep the whole computation in the graph")


def test_follows_base_dtype(kata):
    """creates the adapters with the base layer's dtype (float64 here)"""
    base = _base(6, 4, 10, dtype=torch.float64)
    layer = kata.LoRALinear(base, r=2)
    for name in ("lora_A", "lora_B"):
        _param(layer, name, dtype=torch.float64,
                      hint="create the adapters with dtype=base.weight.dtype")
    out = layer(torch.randn(3, 6, dtype=torch.float64))
    expect_tensor(out, "the output", dtype=torch.float64, shape=(3, 4))


def test_follows_base_device(kata):
    """creates the adapters on the base layer's device (checked with the meta device)"""
    base = nn.Linear(6, 4, device="meta")
    layer = kata.LoRALinear(base, r=2)
    for name in ("lora_A", "lora_B"):
        _param(layer, name, device="meta",
                      hint="create the adapters with device=base.weight.device, not the default device")
    out = layer(torch.empty(2, 3, 6, device="meta"))
    expect_tensor(out, "the output on the meta device", device="meta", shape=(2, 3, 4))


def test_dropout_off_in_eval(kata):
    """applies no dropout in eval mode"""
    in_f, out_f, r = 8, 6, 4
    base = _base(in_f, out_f, 11)
    layer = kata.LoRALinear(base, r=r, alpha=8.0, dropout=0.5)
    _set_adapters(layer, r, in_f, out_f, 12)
    layer.eval()
    x = torch.randn(10, in_f, dtype=torch.float64)
    expected = _expected(base, layer.lora_A, layer.lora_B, 2.0, x)
    assert_close(layer(x).detach(), expected.detach(), what="the output in eval mode with dropout=0.5",
                 hint="dropout was applied in eval mode: use an nn.Dropout module (it follows "
                      "train()/eval()); F.dropout(x, p) is always on unless you pass training=self.training")


@pytest.mark.weight(2)
def test_dropout_only_on_the_lora_input(kata):
    """in train mode, drops elements of the LoRA branch's input only, scaled by 1/(1-p)"""
    n = 6
    p = 0.5
    base = _base(n, n, 13)
    layer = kata.LoRALinear(base, r=n, alpha=float(n), dropout=p)  # scaling 1
    _adapters(layer, n, n, n)
    g = torch.Generator().manual_seed(14)
    mix = torch.randn(n, n, generator=g, dtype=torch.float64) + 3 * torch.eye(n, dtype=torch.float64)
    with torch.no_grad():
        layer.lora_A.copy_(torch.eye(n))
        layer.lora_B.copy_(mix)
    layer.train()
    x = torch.randn(40, n, generator=g, dtype=torch.float64)
    x_before = x.clone()
    manual_seed(15)
    out = layer(x).detach()
    assert_close(x, x_before, what="the input after forward",
                 hint="dropout changed the input in place (inplace=True?): the base layer and the "
                      "caller must see the original x")
    # With A = I the update is dropout(x) @ mix.T: undo mix to see what dropout produced.
    dropped = torch.linalg.solve(mix, (out - base(x).detach()).T).T
    is_zero = dropped.abs() < 1e-6
    is_scaled = (dropped - x / (1 - p)).abs() < 1e-6
    expect(bool((is_zero | is_scaled).all()),
           "the LoRA branch should see dropout(x): each input element either zeroed or scaled by "
           "1/(1-p). Apply dropout to x before lora_A (not to the update or the output), and "
           "never to the base path")
    expect(bool(is_zero.any()), "no element was dropped in train mode with dropout=0.5: apply "
                                "self.dropout to the LoRA branch's input")


def test_dropout_never_on_the_base_path(kata):
    """in train mode with lora_B still zero, the output is exactly the base output"""
    base = _base(8, 5, 16)
    layer = kata.LoRALinear(base, r=2, dropout=0.5)
    layer.train()
    x = torch.randn(20, 8, dtype=torch.float64)
    assert_close(layer(x).detach(), base(x).detach(), what="the train-mode output with lora_B = 0",
                 hint="dropout reached the base path: apply it only to the input of the LoRA "
                      "branch, call self.base on the original x")


@pytest.mark.weight(2)
@pytest.mark.parametrize("bias", [True, False])
def test_merged_matches(kata, bias):
    """merged() returns a plain nn.Linear with weight W + scaling * B @ A and the same bias"""
    in_f, out_f, r, alpha = 7, 5, 3, 6.0
    base = _base(in_f, out_f, 17, bias=bias)
    layer = kata.LoRALinear(base, r=r, alpha=alpha)
    _set_adapters(layer, r, in_f, out_f, 18)
    layer.eval()
    merged = layer.merged()
    expect(type(merged) is nn.Linear, f"merged() should return a plain nn.Linear, got {type(merged).__name__}")
    expect(merged is not base, "merged() returned the base layer itself: build a new nn.Linear")
    expect((merged.bias is None) == (not bias),
           "the merged layer's bias does not match the base layer's: give it a bias exactly when "
           "base has one (bias=base.bias is not None), and copy base.bias into it")
    want_w = base.weight + (alpha / r) * layer.lora_B @ layer.lora_A
    assert_close(merged.weight.detach(), want_w.detach(), what="the merged weight",
                 hint="the merged weight is W + scaling * lora_B @ lora_A (shape (out, in))")
    x = torch.randn(4, 2, in_f, dtype=torch.float64)
    assert_close(merged(x).detach(), layer(x).detach(), what="the merged layer's output",
                 hint="the merged layer must compute exactly what the LoRA layer computes: same "
                      "weight W + scaling * B @ A and the base layer's bias")


def test_merged_leaves_the_layer_unchanged(kata):
    """merged() changes neither the base layer nor the adapters"""
    in_f, out_f, r = 6, 6, 2
    base = _base(in_f, out_f, 19)
    layer = kata.LoRALinear(base, r=r, alpha=4.0)
    _set_adapters(layer, r, in_f, out_f, 20)
    layer.eval()
    x = torch.randn(3, in_f, dtype=torch.float64)
    before = {k: v.clone() for k, v in layer.state_dict().items()}
    out_before = layer(x).detach()
    merged = layer.merged()
    for key, value in layer.state_dict().items():
        assert_close(value, before[key], what=f"{key} after merged()",
                     hint="merged() must build a new layer and leave this one (and its base) unchanged; "
                          "adding B @ A into base.weight would count the update twice")
    assert_close(layer(x).detach(), out_before, what="the LoRA layer's output after merged()",
                 hint="merged() must not change the LoRA layer")
    expect_tensor(merged.weight.detach(), "the merged weight", dtype=torch.float64, device="cpu",
                  hint="create the merged layer with the base weight's dtype and device")
    expect(merged.weight.grad_fn is None,
           "the merged weight is the result of an autograd graph: compute it under torch.no_grad()")


@pytest.mark.gpu
def test_cuda_half_precision(kata):
    """works on a CUDA base layer in half precision, adapters on the same device and dtype"""
    base = _base(32, 16, 21, dtype=torch.float16, device="cuda")
    layer = kata.LoRALinear(base, r=4, alpha=8.0)
    for name in ("lora_A", "lora_B"):
        _param(layer, name, dtype=torch.float16, device="cuda",
                      hint="create the adapters on base.weight's device with its dtype")
    g = torch.Generator().manual_seed(22)
    with torch.no_grad():
        layer.lora_B.copy_(0.1 * torch.randn(16, 4, generator=g))
    x = torch.randn(3, 5, 32, generator=g).to("cuda", torch.float16)
    out = layer(x)
    expect_tensor(out, "the output", dtype=torch.float16, device="cuda", shape=(3, 5, 16))
    A, B = layer.lora_A.detach().double().cpu(), layer.lora_B.detach().double().cpu()
    W, b = base.weight.detach().double().cpu(), base.bias.detach().double().cpu()
    xd = x.double().cpu()
    expected = xd @ W.T + b + (xd @ A.T @ B.T) * 2.0
    assert_close(out.detach().double().cpu(), expected, what="the half-precision output",
                 hint=FORMULA, rtol=2e-2, atol=2e-2)
    merged = layer.merged()
    expect_tensor(merged.weight.detach(), "the merged weight", dtype=torch.float16, device="cuda")
    assert_close(merged(x).detach().double().cpu(), expected, what="the merged half-precision output",
                 hint="the merged layer must compute what the LoRA layer computes", rtol=2e-2, atol=2e-2)
