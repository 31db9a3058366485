"""Public tests for 04_architectures/transformer_block: the basics. The hidden suite checks much more."""

import torch
from torch import nn

from grader.checks import assert_close, expect, manual_seed


def test_loads_encoder_layer_weights_and_matches_in_eval(kata):
    """loads nn.TransformerEncoderLayer(norm_first=True)'s weights and matches it in eval mode"""
    manual_seed(0)
    ref = nn.TransformerEncoderLayer(8, 2, 16, 0.1, batch_first=True, norm_first=True).eval()
    block = kata.TransformerBlock(8, 2, 16, 0.1)
    block.load_state_dict(ref.state_dict())
    block.eval()
    x = torch.randn(2, 5, 8)
    with torch.no_grad():
        expected = ref(x)
    assert_close(block(x), expected, what="the block's output in eval mode", rtol=1e-4, atol=1e-5,
                 hint="pre-norm: x = x + dropout1(attn(norm1(x))); x = x + dropout2(ff(norm2(x)))")


def test_dropout_only_in_train_mode(kata):
    """dropout is random in train mode and off in eval mode"""
    manual_seed(1)
    block = kata.TransformerBlock(8, 2, 16, 0.5)
    x = torch.randn(2, 5, 8)
    block.train()
    expect(not bool(torch.equal(block(x), block(x))), "two calls in train mode gave the same output: is dropout applied?")
    block.eval()
    expect(bool(torch.equal(block(x), block(x))), "two calls in eval mode differ: dropout must be off in eval mode")
