# MISTAKE: gives every head its own small projections instead of one E -> E projection
# FEEDBACK: one projection for all heads
import math

import torch
from torch import nn


class MultiHeadAttention(nn.Module):
    def __init__(self, embed_dim, num_heads):
        super().__init__()
        self.num_heads = num_heads
        self.head_dim = embed_dim // num_heads
        d = self.head_dim
        self.q_proj = nn.ModuleList([nn.Linear(embed_dim, d) for _ in range(num_heads)])
        self.k_proj = nn.ModuleList([nn.Linear(embed_dim, d) for _ in range(num_heads)])
        self.v_proj = nn.ModuleList([nn.Linear(embed_dim, d) for _ in range(num_heads)])
        self.out_proj = nn.Linear(embed_dim, embed_dim)

    def forward(self, query, key, value, key_padding_mask=None, causal=False):
        heads = []
        for wq, wk, wv in zip(self.q_proj, self.k_proj, self.v_proj):
            q, k, v = wq(query), wk(key), wv(value)
            scores = q @ k.transpose(-2, -1) / math.sqrt(self.head_dim)
            if causal:
                L, S = scores.shape[-2:]
                scores = scores.masked_fill(torch.ones(L, S, dtype=torch.bool, device=q.device).triu(1), float("-inf"))
            if key_padding_mask is not None:
                scores = scores.masked_fill(key_padding_mask[:, None, :], float("-inf"))
            heads.append(scores.softmax(-1) @ v)
        return self.out_proj(torch.cat(heads, dim=-1))
