"""Public tests for 01_tensors/same_device: the basics. The hidden suite checks much more."""

import torch
from torch import nn

from grader.checks import assert_close, expect, expect_tensor, expect_type


def test_bias_column(kata):
    """appends a column of ones"""
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert_close(kata.add_bias_column(x), torch.tensor([[1.0, 2.0, 1.0], [3.0, 4.0, 1.0]]),
                 what="add_bias_column(x)", hint="x with one more column of ones at the end")


def test_positions_on_the_tokens_device(kata):
    """makes positions on the device of the tokens (meta here)"""
    tokens = torch.empty(2, 5, dtype=torch.int64, device="meta")
    expect_tensor(kata.positions_for(tokens), "positions_for(tokens)", shape=(2, 5),
                  dtype=torch.int64, device="meta",
                  hint="create the range on the tokens' device: torch.arange(..., device=tokens.device)")


def test_model_device(kata):
    """finds the device of a model's parameters"""
    model = nn.Linear(3, 2, device="meta")
    device = expect_type(kata.model_device(model), torch.device, "model_device(model)",
                         hint="return a torch.device: the .device of a parameter")
    expect(device.type == "meta", f"the model's parameters are on meta, got {device}")
