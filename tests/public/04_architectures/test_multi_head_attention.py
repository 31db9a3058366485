"""Public tests for 04_architectures/multi_head_attention: the basics. The hidden suite checks much more."""

import torch
from torch import nn

from grader.checks import assert_close, expect, manual_seed


def _load_from(module, ref):
    """Copy nn.MultiheadAttention's weights into q_proj, k_proj, v_proj and out_proj."""
    w_q, w_k, w_v = ref.in_proj_weight.chunk(3)
    b_q, b_k, b_v = ref.in_proj_bias.chunk(3)
    with torch.no_grad():
        for layer, w, b in ((module.q_proj, w_q, b_q), (module.k_proj, w_k, b_k),
                            (module.v_proj, w_v, b_v), (module.out_proj, ref.out_proj.weight, ref.out_proj.bias)):
            layer.weight.copy_(w)
            layer.bias.copy_(b)


def test_has_four_projections(kata):
    """has q_proj, k_proj, v_proj, out_proj as nn.Linear(E, E)"""
    module = kata.MultiHeadAttention(8, 2)
    for name in ("q_proj", "k_proj", "v_proj", "out_proj"):
        layer = getattr(module, name, None)
        expect(type(layer) is nn.Linear and layer.in_features == 8 and layer.out_features == 8,
               f"{name} should be an nn.Linear(embed_dim, embed_dim)")


def test_matches_nn_multihead_attention(kata):
    """equals nn.MultiheadAttention(batch_first=True) with the same weights"""
    manual_seed(0)
    ref = nn.MultiheadAttention(8, 2, batch_first=True)
    module = kata.MultiHeadAttention(8, 2)
    _load_from(module, ref)
    x = torch.randn(3, 5, 8)
    expected = ref(x, x, x, need_weights=False)[0]
    assert_close(module(x, x, x), expected, what="the self-attention output", rtol=1e-4, atol=1e-5,
                 hint="project, split into heads with view(B, L, H, D).transpose(1, 2), attend per "
                      "head, merge with transpose(1, 2).reshape(B, L, E), then out_proj")
