"""Public tests for 04_architectures/positional_encoding: the basics. The hidden suite checks much more."""

import math

import torch

from grader.checks import assert_close, expect


def test_first_rows(kata):
    """adds sin to even columns and cos to odd columns of each position"""
    module = kata.SinusoidalPositionalEncoding(4, max_len=10)
    out = module(torch.zeros(1, 2, 4))
    # position 0: sin(0)=0, cos(0)=1; position 1: frequencies 1 and 1/100
    expected = torch.tensor([[[0.0, 1.0, 0.0, 1.0],
                              [math.sin(1.0), math.cos(1.0), math.sin(0.01), math.cos(0.01)]]])
    assert_close(out, expected, what="the encoding of positions 0 and 1 (d_model=4)", atol=1e-6,
                 hint="pe[pos, 2i] = sin(pos / 10000^(2i/d)), pe[pos, 2i+1] = cos(pos / 10000^(2i/d))")


def test_pe_is_a_buffer(kata):
    """keeps the table in a buffer named pe, saved in the state dict"""
    module = kata.SinusoidalPositionalEncoding(8, max_len=16)
    expect("pe" in dict(module.named_buffers()),
           "the table is not a buffer: use self.register_buffer('pe', pe, persistent=True)")
    expect("pe" in module.state_dict(), "the buffer pe is not saved in state_dict(): pass persistent=True")
