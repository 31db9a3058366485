"""Public tests for 03_training_loop/checkpoint: the basics. The hidden suite checks much more."""

import torch
from torch import nn

from grader.checks import assert_equal_tensors, expect, manual_seed


def _trained(seed):
    manual_seed(seed)
    model = nn.Linear(3, 2)
    opt = torch.optim.Adam(model.parameters(), lr=0.1)
    model(torch.randn(4, 3)).pow(2).mean().backward()
    opt.step()
    return model, opt


def test_round_trip(kata, tmp_path):
    """loads back the model's weights and returns the saved epoch"""
    model, opt = _trained(0)
    path = tmp_path / "ckpt.pt"
    kata.save_checkpoint(path, model, opt, 5)
    fresh, fresh_opt = _trained(1)
    epoch = kata.load_checkpoint(path, fresh, fresh_opt, map_location="cpu")
    expect(epoch == 5, f"load_checkpoint should return the saved epoch 5, got {epoch!r}")
    assert_equal_tensors(fresh.weight.detach(), model.weight.detach(), what="the loaded weight",
                         hint="save model.state_dict() and load it with model.load_state_dict(...)")


def test_optimizer_state(kata, tmp_path):
    """restores the optimizer's state (Adam's running averages)"""
    model, opt = _trained(2)
    path = tmp_path / "ckpt.pt"
    kata.save_checkpoint(path, model, opt, 1)
    fresh = nn.Linear(3, 2)
    fresh_opt = torch.optim.Adam(fresh.parameters(), lr=0.1)
    kata.load_checkpoint(path, fresh, fresh_opt, map_location="cpu")
    expect(len(fresh_opt.state) == 2, "save optimizer.state_dict() and load it with optimizer.load_state_dict(...)")
    assert_equal_tensors(fresh_opt.state[fresh.weight]["exp_avg"], opt.state[model.weight]["exp_avg"],
                         what="Adam's exp_avg of the weight", hint="restore the optimizer's state_dict")
