# MISTAKE: fills masked scores with -1e9, which overflows float16
# FEEDBACK: float16
import math

import torch


def attention(q, k, v, causal=False, key_padding_mask=None):
    d = q.shape[-1]
    scores = q @ k.transpose(-2, -1) / math.sqrt(d)
    L, S = scores.shape[-2], scores.shape[-1]
    if causal:
        allowed = torch.ones(L, S, dtype=torch.bool, device=q.device).tril()
        scores = scores.masked_fill(~allowed, -1e9)
    if key_padding_mask is not None:
        scores = scores.masked_fill(key_padding_mask.unsqueeze(-2), -1e9)
    weights = scores.softmax(dim=-1)
    return weights @ v
