"""Public tests for 04_architectures/attention: the basics. The hidden suite checks much more."""

import torch
import torch.nn.functional as F

from grader.checks import assert_close


def _qkv(seed, shape_q, shape_kv):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(shape_q, generator=g), torch.randn(shape_kv, generator=g),
            torch.randn(shape_kv, generator=g))


def test_matches_scaled_dot_product_attention(kata):
    """equals F.scaled_dot_product_attention without masks"""
    q, k, v = _qkv(0, (2, 4, 8), (2, 6, 8))
    assert_close(kata.attention(q, k, v), F.scaled_dot_product_attention(q, k, v),
                 what="the attention output", rtol=1e-5, atol=1e-5,
                 hint="compute softmax(q @ k.transpose(-2, -1) / sqrt(D)) @ v, D = q.shape[-1]")


def test_causal(kata):
    """with causal=True, query i sees only keys j <= i"""
    q, k, v = _qkv(1, (1, 5, 4), (1, 5, 4))
    assert_close(kata.attention(q, k, v, causal=True),
                 F.scaled_dot_product_attention(q, k, v, is_causal=True),
                 what="the causal attention output", rtol=1e-5, atol=1e-5,
                 hint="fill the scores of keys j > i with -inf before the softmax")


def test_key_padding_mask(kata):
    """keys marked True in key_padding_mask are ignored"""
    q, k, v = _qkv(2, (2, 3, 4), (2, 5, 4))
    pad = torch.tensor([[False, False, False, True, True], [False, False, False, False, True]])
    expected = F.scaled_dot_product_attention(q, k, v, attn_mask=~pad.unsqueeze(-2))
    assert_close(kata.attention(q, k, v, key_padding_mask=pad), expected,
                 what="the attention output with padding", rtol=1e-5, atol=1e-5,
                 hint="True in key_padding_mask means padding: give those keys -inf scores")
