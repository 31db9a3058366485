# ALTERNATE: builds an additive -inf mask in q's dtype and calls F.scaled_dot_product_attention
import torch
import torch.nn.functional as F


def attention(q, k, v, causal=False, key_padding_mask=None):
    L, S = q.shape[-2], k.shape[-2]
    bias = torch.zeros(L, S, dtype=q.dtype, device=q.device)
    if causal:
        future = torch.triu(torch.ones(L, S, dtype=torch.bool, device=q.device), diagonal=1)
        bias = bias.masked_fill(future, float("-inf"))
    if key_padding_mask is not None:
        bias = bias.masked_fill(key_padding_mask.unsqueeze(-2), float("-inf"))
    return F.scaled_dot_product_attention(q, k, v, attn_mask=bias)
