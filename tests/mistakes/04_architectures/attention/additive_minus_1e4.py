# MISTAKE: adds -1e4 to masked scores (BERT style) instead of filling them with -inf
# FEEDBACK: -inf
import math

import torch


def attention(q, k, v, causal=False, key_padding_mask=None):
    d = q.shape[-1]
    scores = q @ k.transpose(-2, -1) / math.sqrt(d)
    L, S = scores.shape[-2], scores.shape[-1]
    if causal:
        allowed = torch.ones(L, S, dtype=torch.bool, device=q.device).tril()
        scores = scores + (~allowed) * -1e4
    if key_padding_mask is not None:
        scores = scores + key_padding_mask.unsqueeze(-2) * -1e4
    weights = scores.softmax(dim=-1)
    return weights @ v
