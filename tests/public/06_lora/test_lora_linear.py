"""Public tests for 06_lora/lora_linear: the basics. The hidden suite checks much more."""

import torch
from torch import nn

from grader.checks import assert_close, expect, expect_tensor, manual_seed


def test_adapter_shapes_and_zero_start(kata):
    """creates lora_A (r, in) and lora_B (out, r) and starts equal to the base layer"""
    manual_seed(0)
    base = nn.Linear(6, 4)
    layer = kata.LoRALinear(base, r=2, alpha=4.0)
    expect_tensor(layer.lora_A.detach(), "lora_A", shape=(2, 6), hint="lora_A should be (r, in_features)")
    expect_tensor(layer.lora_B.detach(), "lora_B", shape=(4, 2), hint="lora_B should be (out_features, r)")
    x = torch.randn(3, 6)
    assert_close(layer(x).detach(), base(x).detach(), what="the output before any training",
                 hint="lora_B must start at zero so the adapted layer equals the base layer")


def test_base_is_frozen(kata):
    """freezes the base layer and trains only the adapters"""
    layer = kata.LoRALinear(nn.Linear(5, 3), r=2)
    trainable = sorted(n for n, p in layer.named_parameters() if p.requires_grad)
    expect(trainable == ["lora_A", "lora_B"],
           f"the trainable parameters should be exactly lora_A and lora_B, got {trainable}: "
           "freeze every parameter of the base layer (weight and bias)")


def test_update_is_scaled(kata):
    """adds (x @ A.T @ B.T) * alpha / r to the base output"""
    manual_seed(1)
    base = nn.Linear(4, 3)
    layer = kata.LoRALinear(base, r=2, alpha=6.0)
    with torch.no_grad():
        layer.lora_B.copy_(torch.randn(3, 2))
    x = torch.randn(5, 4)
    expected = base(x) + x @ layer.lora_A.T @ layer.lora_B.T * 3.0
    assert_close(layer(x).detach(), expected.detach(), what="the output with a non-zero lora_B",
                 hint="the update is x @ lora_A.T @ lora_B.T times scaling = alpha / r")
