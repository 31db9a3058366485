# ALTERNATE: writes attention out with einsum, splitting heads with unflatten/permute and an additive mask
import torch
from torch import nn


class MultiHeadAttention(nn.Module):
    def __init__(self, embed_dim, num_heads):
        super().__init__()
        assert embed_dim % num_heads == 0
        self.h = num_heads
        self.q_proj = nn.Linear(embed_dim, embed_dim)
        self.k_proj = nn.Linear(embed_dim, embed_dim)
        self.v_proj = nn.Linear(embed_dim, embed_dim)
        self.out_proj = nn.Linear(embed_dim, embed_dim)

    def _split(self, x):
        return x.unflatten(-1, (self.h, -1)).permute(0, 2, 1, 3)  # (B, H, len, D)

    def forward(self, query, key, value, key_padding_mask=None, causal=False):
        q, k, v = self._split(self.q_proj(query)), self._split(self.k_proj(key)), self._split(self.v_proj(value))
        scores = torch.einsum("bhld,bhsd->bhls", q, k) * q.shape[-1] ** -0.5
        L, S = scores.shape[-2:]
        bias = torch.zeros(L, S, dtype=scores.dtype, device=scores.device)
        if causal:
            bias = bias.masked_fill(torch.ones_like(bias, dtype=torch.bool).triu(1), float("-inf"))
        if key_padding_mask is not None:
            bias = bias + torch.zeros_like(key_padding_mask, dtype=scores.dtype).masked_fill(
                key_padding_mask, float("-inf")).view(-1, 1, 1, S)
        out = torch.einsum("bhls,bhsd->bhld", (scores + bias).softmax(-1), v)
        return self.out_proj(out.permute(0, 2, 1, 3).flatten(2))
