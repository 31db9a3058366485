# MISTAKE: applies the masks after the softmax by zeroing weights, so rows no longer sum to 1
# FEEDBACK: before the softmax
import math

import torch


def attention(q, k, v, causal=False, key_padding_mask=None):
    d = q.shape[-1]
    scores = q @ k.transpose(-2, -1) / math.sqrt(d)
    L, S = scores.shape[-2], scores.shape[-1]
    if causal:
        allowed = torch.ones(L, S, dtype=torch.bool, device=q.device).tril()
    if key_padding_mask is not None:
        pass
    weights = scores.softmax(dim=-1)
    if causal:
        weights = weights.masked_fill(~allowed, 0.0)
    if key_padding_mask is not None:
        weights = weights.masked_fill(key_padding_mask.unsqueeze(-2), 0.0)
    return weights @ v
