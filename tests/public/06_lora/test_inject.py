"""Public tests for 06_lora/inject: the basics. The hidden suite checks much more."""

import torch
from torch import nn

from grader.checks import assert_close, expect, manual_seed


class Attn(nn.Module):
    def __init__(self, d=4):
        super().__init__()
        self.q_proj = nn.Linear(d, d)
        self.v_proj = nn.Linear(d, d)

    def forward(self, x):
        return self.q_proj(x) * self.v_proj(x)


def _model():
    manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), Attn(), nn.Linear(4, 2))


def test_matches_names(kata):
    """a list entry matches a name equal to it or ending with '.' + it"""
    expect(kata.matches("layers.0.attn.q_proj", ["q_proj"]) is True,
           "'layers.0.attn.q_proj' should match ['q_proj']")
    expect(kata.matches("layers.0.attn.kv_proj", ["v_proj"]) is False,
           "'layers.0.attn.kv_proj' should not match ['v_proj']: only whole name parts count")


def test_inject_nested(kata):
    """wraps nested q_proj / v_proj layers and freezes everything else"""
    model = _model()
    names = kata.inject_lora(model, ["q_proj", "v_proj"], r=2)
    expect(sorted(names) == ["1.q_proj", "1.v_proj"], f"expected ['1.q_proj', '1.v_proj'], got {names}")
    expect(type(model[1].q_proj) is kata.LoRALinear, "model[1].q_proj was not replaced by a LoRALinear")
    trainable = sorted(n for n, p in model.named_parameters() if p.requires_grad)
    expect(trainable == ["1.q_proj.lora_A", "1.q_proj.lora_B", "1.v_proj.lora_A", "1.v_proj.lora_B"],
           f"only the adapters should train, got {trainable}")


def test_merge_gives_same_output(kata):
    """merge_lora returns plain linears computing the same output"""
    model = _model()
    kata.inject_lora(model, ["q_proj"], r=2)
    with torch.no_grad():
        model[1].q_proj.lora_B.fill_(0.5)
    x = torch.randn(5, 3)
    before = model(x).detach()
    kata.merge_lora(model)
    expect(type(model[1].q_proj) is nn.Linear, "q_proj should be a plain nn.Linear after merging")
    assert_close(model(x).detach(), before, what="the output after merging")
