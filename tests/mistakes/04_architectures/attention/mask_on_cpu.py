# MISTAKE: builds the causal mask on the default (CPU) device
# FEEDBACK: device=q.device
import math

import torch


def attention(q, k, v, causal=False, key_padding_mask=None):
    d = q.shape[-1]
    scores = q @ k.transpose(-2, -1) / math.sqrt(d)
    L, S = scores.shape[-2], scores.shape[-1]
    if causal:
        allowed = torch.ones(L, S, dtype=torch.bool).tril()
        scores = scores.masked_fill(~allowed, float("-inf"))
    if key_padding_mask is not None:
        scores = scores.masked_fill(key_padding_mask.unsqueeze(-2), float("-inf"))
    weights = scores.softmax(dim=-1)
    return weights @ v
