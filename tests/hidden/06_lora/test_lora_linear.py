"""Hidden tests for 06_lora/lora_linear: the checks. The scenarios are in observe_lora_linear.py."""

import math

import pytest
import torch
import torch.nn.functional as F

from grader.checks import assert_close, expect, expect_tensor, expect_type, fail
from grader.observe import scenarios_of

scenes = scenarios_of(__file__)

B_ZERO = "lora_B must start at zero so the adapted layer equals the base layer"
FROZEN = ("the base layer is not frozen: call requires_grad_(False) on every parameter of base "
          "(weight and bias); `module.requires_grad = False` only sets an unused attribute")
FORMULA = ("the output should be base(x) + x @ lora_A.T @ lora_B.T * scaling, with "
           "scaling = alpha / r (check the scaling and that the base layer, bias included, "
           "is used)")


def _param(adapters, name, **props):
    """The adapter `name` as a plain tensor, after checking it is an nn.Parameter."""
    seen = adapters[name]
    expect(seen["parameter"] is True,
           f"{name} must be an nn.Parameter (registered on the module) so that parameters(), "
           f"the optimizer, .to() and state_dict() see it; got a {seen['type']}")
    return expect_tensor(seen["value"], name, **props)


def _adapters(adapters, r, in_f, out_f):
    _param(adapters, "lora_A", shape=(r, in_f),
           hint="lora_A should be an (r, in_features) tensor: x @ lora_A.T gives (..., r)")
    _param(adapters, "lora_B", shape=(out_f, r),
           hint="lora_B should be an (out_features, r) tensor: "
                "(..., r) @ lora_B.T gives (..., out)")


def _ran(seen):
    """What the scenario's calls after the constructor returned; their error, if they raised."""
    if "error" in seen:
        fail(seen["error"])
    return seen["value"]


def _adapter_values(r, in_f, out_f, seed):
    """The values the scenario gave lora_A and lora_B, in float64 like the base layers."""
    return tuple(v.double() for v in scenes.adapter_values(r, in_f, out_f, seed))


def _expected(base, A, B, scaling, x):
    return F.linear(x, base.weight, base.bias) + (x @ A.T @ B.T) * scaling


@pytest.mark.parametrize("in_f,out_f,r", [(6, 4, 2), (16, 32, 8), (10, 3, 1)])
def test_adapter_shapes(observed, in_f, out_f, r):
    """creates lora_A of shape (r, in_features) and lora_B of shape (out_features, r)"""
    _adapters(observed, r, in_f, out_f)


@pytest.mark.weight(2)
def test_starts_equal_to_base(observed):
    """lora_B starts at zero, so the new layer first computes exactly the base layer"""
    _adapters(observed["adapters"], 4, 12, 7)
    expect(not bool(observed["adapters"]["lora_B"]["value"].any()),
           B_ZERO + " (init it with zeros; the random init belongs to lora_A)")
    base = scenes.base_layer(12, 7, 1)
    x = scenes.inputs((5, 12), 30)
    assert_close(_ran(observed["out"]), base(x).detach(), what="the output before training",
                 hint=B_ZERO)


@pytest.mark.weight(2)
def test_lora_A_kaiming_uniform(observed):
    """initialises lora_A non-zero, Kaiming-uniform with a=sqrt(5) (bound 1/sqrt(in_features))"""
    in_f, r = 64, 8
    _adapters(observed, r, in_f, 16)
    A = observed["lora_A"]["value"].double()
    bound = 1 / math.sqrt(in_f)
    expect(bool(A.any()),
           "lora_A must start non-zero: with both lora_A and lora_B at zero neither gets a "
           "gradient and the adapter never trains")
    largest = float(A.abs().max())
    expect(largest <= bound * 1.0001,
           f"lora_A's values are too large for Kaiming-uniform with a=sqrt(5) (largest "
           f"{largest:.3g}, bound 1/sqrt(in_features) = {bound:.3g}): use "
           "nn.init.kaiming_uniform_(A, a=math.sqrt(5))")
    spread = float(A.std())
    expect(largest > 0.8 * bound and 0.8 < spread / (bound / math.sqrt(3)) < 1.2,
           f"lora_A does not look Kaiming-uniform with a=sqrt(5) (std {spread:.3g}, largest "
           f"{largest:.3g}, bound {bound:.3g}): use nn.init.kaiming_uniform_(A, a=math.sqrt(5))")


def test_base_frozen_adapters_trainable(observed):
    """freezes every base parameter and registers lora_A, lora_B as trainable parameters"""
    expect(observed["base_kept"] is True,
           "keep the given base layer itself as self.base (no copy): the pretrained weights stay "
           "shared")
    expect(observed["base_requires_grad"] == [False, False], FROZEN)
    names = [n for n, _ in observed["parameters"]]
    expect("lora_A" in names and "lora_B" in names,
           "lora_A and lora_B must be nn.Parameters (registered on the module) so that "
           "parameters(), the optimizer, .to() and state_dict() see them")
    trainable = sorted(n for n, flag in observed["parameters"] if flag)
    expect(trainable == ["lora_A", "lora_B"],
           f"the trainable parameters should be exactly lora_A and lora_B, got {trainable}")


@pytest.mark.parametrize("r,alpha", [(8, 16.0), (4, 4.0), (2, 1.0)])
def test_scaling(observed, r, alpha):
    """stores scaling = alpha / r as a float"""
    expect_type(observed, float, "scaling", hint="scaling is the float alpha / r")
    expect(math.isclose(observed, alpha / r),
           f"scaling should be alpha / r = {alpha / r}, got {observed}")


@pytest.mark.weight(2)
@pytest.mark.parametrize("lead", [(7,), (2, 3), (2, 1, 4), ()])
def test_forward_values(observed, lead):
    """computes base(x) + x @ A.T @ B.T * alpha / r for any leading dimensions"""
    in_f, out_f, r, alpha = 6, 5, 3, 4.5
    _adapters(observed["adapters"], r, in_f, out_f)
    out = _ran(observed["out"])
    A, B = _adapter_values(r, in_f, out_f, 6)
    x = scenes.inputs((*lead, in_f), 7)
    expected = _expected(scenes.base_layer(in_f, out_f, 5), A, B, alpha / r, x)
    assert_close(out, expected.detach(), what=f"the output for an input of shape {tuple(x.shape)}",
                 hint="the output must keep the input's leading dimensions and be " + FORMULA)
    assert_close(observed["x_after"], x, what="the input after forward",
                 hint="forward changed its input in place")


def test_gradients(observed):
    """backward reaches lora_A, lora_B and the input, never the frozen base"""
    _adapters(observed["adapters"], 2, 5, 4)
    ran = _ran(observed["run"])
    expect(ran["out_requires_grad"] is True,
           "the output is not part of the autograd graph: do not compute it "
           "under torch.no_grad() or from detached tensors")
    grads = observed["grads"]
    expect(grads["lora_A"] is not None and grads["lora_B"] is not None
           and bool(grads["lora_A"].any()) and bool(grads["lora_B"].any()),
           "lora_A and lora_B got no gradient: they must be used in forward as trainable "
           "parameters")
    expect(grads["base_weight"] is None and grads["base_bias"] is None, FROZEN)
    expect(grads["x"] is not None,
           "no gradient reached the input: keep the whole computation in the graph")


def test_follows_base_dtype(observed):
    """creates the adapters with the base layer's dtype (float64 here)"""
    for name in ("lora_A", "lora_B"):
        _param(observed["adapters"], name, dtype=torch.float64,
               hint="create the adapters with dtype=base.weight.dtype")
    expect_tensor(_ran(observed["out"]), "the output", dtype=torch.float64, shape=(3, 4))


def test_follows_base_device(observed):
    """creates the adapters on the base layer's device (checked with the meta device)"""
    for name in ("lora_A", "lora_B"):
        _param(observed["adapters"], name, device="meta",
               hint="create the adapters with device=base.weight.device, not the default device")
    expect_tensor(_ran(observed["out"]), "the output on the meta device", device="meta",
                  shape=(2, 3, 4))


def test_dropout_off_in_eval(observed):
    """applies no dropout in eval mode"""
    in_f, out_f, r = 8, 6, 4
    _adapters(observed["adapters"], r, in_f, out_f)
    out = _ran(observed["out"])
    A, B = _adapter_values(r, in_f, out_f, 12)
    expected = _expected(scenes.base_layer(in_f, out_f, 11), A, B, 2.0, scenes.inputs((10, 8), 33))
    assert_close(out, expected.detach(), what="the output in eval mode with dropout=0.5",
                 hint="dropout was applied in eval mode: use an nn.Dropout module (it follows "
                      "train()/eval()); F.dropout(x, p) is always on unless you pass "
                      "training=self.training")


@pytest.mark.weight(2)
def test_dropout_only_on_the_lora_input(observed):
    """in train mode, drops elements of the LoRA branch's input only, scaled by 1/(1-p)"""
    n = 6
    p = 0.5
    _adapters(observed["adapters"], n, n, n)
    out = _ran(observed["out"])
    mix, x = scenes.dropout_probe(n)
    assert_close(observed["x_after"], x, what="the input after forward",
                 hint="dropout changed the input in place (inplace=True?): the base layer and the "
                      "caller must see the original x")
    expect_tensor(out, "the train-mode output", shape=(40, n))
    # With A = I the update is dropout(x) @ mix.T: undo mix to see what dropout produced.
    base_out = scenes.base_layer(n, n, 13)(x).detach()
    dropped = torch.linalg.solve(mix, (out - base_out).T).T
    is_zero = dropped.abs() < 1e-6
    is_scaled = (dropped - x / (1 - p)).abs() < 1e-6
    expect(bool((is_zero | is_scaled).all()),
           "the LoRA branch should see dropout(x): each input element either zeroed or scaled by "
           "1/(1-p). Apply dropout to x before lora_A (not to the update or the output), and "
           "never to the base path")
    expect(bool(is_zero.any()), "no element was dropped in train mode with dropout=0.5: apply "
                                "self.dropout to the LoRA branch's input")


def test_dropout_never_on_the_base_path(observed):
    """in train mode with lora_B still zero, the output is exactly the base output"""
    x = scenes.inputs((20, 8), 34)
    assert_close(_ran(observed["out"]), scenes.base_layer(8, 5, 16)(x).detach(),
                 what="the train-mode output with lora_B = 0",
                 hint="dropout reached the base path: apply it only to the input of the LoRA "
                      "branch, call self.base on the original x")
    # An in-place dropout rewrites the x that the caller (and any later base path) sees.
    assert_close(observed["x_after"], x, what="the input after forward",
                 hint="dropout changed the input in place (inplace=True?): the base layer and the "
                      "caller must see the original x")


@pytest.mark.weight(2)
@pytest.mark.parametrize("bias", [True, False])
def test_merged_matches(observed, bias):
    """merged() returns a plain nn.Linear with weight W + scaling * B @ A and the same bias"""
    in_f, out_f, r, alpha = 7, 5, 3, 6.0
    _adapters(observed["adapters"], r, in_f, out_f)
    merged = _ran(observed["merged"])
    expect(merged["linear"] is True,
           f"merged() should return a plain nn.Linear, got {merged['type']}")
    expect(merged["is_base"] is False,
           "merged() returned the base layer itself: build a new nn.Linear")
    expect(merged["has_bias"] is bias,
           "the merged layer's bias does not match the base layer's: give it a bias exactly when "
           "base has one (bias=base.bias is not None), and copy base.bias into it")
    A, B = _adapter_values(r, in_f, out_f, 18)
    want_w = scenes.base_layer(in_f, out_f, 17, bias=bias).weight + (alpha / r) * B @ A
    assert_close(merged["weight"], want_w.detach(), what="the merged weight",
                 hint="the merged weight is W + scaling * lora_B @ lora_A (shape (out, in))")
    # The merged layer must compute what this LoRA layer computes, whatever that is.
    layer_out = expect_tensor(_ran(merged["layer_out"]), "the LoRA layer's output")
    assert_close(_ran(merged["merged_out"]), layer_out,
                 what="the merged layer's output",
                 hint="the merged layer must compute exactly what the LoRA layer computes: same "
                      "weight W + scaling * B @ A and the base layer's bias")


def test_merged_leaves_the_layer_unchanged(observed):
    """merged() changes neither the base layer nor the adapters"""
    _adapters(observed["adapters"], 2, 6, 6)
    ran = _ran(observed["run"])
    before, after = ran["state_before"], ran["state_after"]
    # The layer as the scenario set it: its base layer and the adapters it copied in.
    A, B = _adapter_values(2, 6, 6, 20)
    base = scenes.base_layer(6, 6, 19)
    known = {"base.weight": base.weight.detach(), "base.bias": base.bias.detach(),
             "lora_A": A, "lora_B": B}
    for key, value in known.items():
        expect(key in before, f"the LoRA layer's state_dict has no {key!r}: keep the base layer "
                              "as self.base and register lora_A, lora_B as nn.Parameters")
        assert_close(before[key], value, what=f"{key} before merged()")
    expect(sorted(after) == sorted(before),
           f"merged() changed the LoRA layer's state_dict keys from {sorted(before)} to "
           f"{sorted(after)}: merged() must build a new layer and leave this one unchanged")
    out_before = expect_tensor(ran["out_before"], "the LoRA layer's output")
    assert_close(out_before, _expected(base, A, B, 2.0, scenes.inputs((3, 6), 36)).detach(),
                 what="the LoRA layer's output before merged()", hint=FORMULA)
    for key, value in after.items():
        assert_close(value, before[key], what=f"{key} after merged()",
                     hint="merged() must build a new layer and leave this one (and its base) "
                          "unchanged; adding B @ A into base.weight would count the update twice")
    assert_close(ran["out_after"], out_before, what="the LoRA layer's output after merged()",
                 hint="merged() must not change the LoRA layer")
    expect_tensor(ran["merged_weight"], "the merged weight", dtype=torch.float64, device="cpu",
                  hint="create the merged layer with the base weight's dtype and device")
    expect(ran["merged_has_grad_fn"] is False,
           "the merged weight is the result of an autograd graph: compute it under torch.no_grad()")


@pytest.mark.gpu
def test_cuda_half_precision(observed):
    """works on a CUDA base layer in half precision, adapters on the same device and dtype"""
    for name in ("lora_A", "lora_B"):
        _param(observed["adapters"], name, dtype=torch.float16, device="cuda",
               hint="create the adapters on base.weight's device with its dtype")
    out = _ran(observed["out"])
    expect_tensor(out, "the output", dtype=torch.float16, device="cuda", shape=(3, 5, 16))
    base = scenes.base_layer(32, 16, 21, dtype=torch.float16, device="cuda")
    B, x = scenes.half_precision_values()
    # lora_A is the layer's own random init: the output must follow from it.
    A = observed["adapters"]["lora_A"]["value"].double().cpu()
    B = B.half().double()
    W, b = base.weight.detach().double().cpu(), base.bias.detach().double().cpu()
    xd = x.half().double()
    expected = xd @ W.T + b + (xd @ A.T @ B.T) * 2.0
    assert_close(out.double().cpu(), expected, what="the half-precision output",
                 hint=FORMULA, rtol=2e-2, atol=2e-2)
    merged = _ran(observed["merged"])
    expect_tensor(merged["weight"], "the merged weight", dtype=torch.float16, device="cuda")
    assert_close(merged["out"].double().cpu(), expected,
                 what="the merged half-precision output",
                 hint="the merged layer must compute what the LoRA layer computes",
                 rtol=2e-2, atol=2e-2)
