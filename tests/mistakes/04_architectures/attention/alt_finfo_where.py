# ALTERNATE: one combined mask, torch.where with the dtype's most negative finite number, einsum
import torch


def attention(q, k, v, causal=False, key_padding_mask=None):
    scale = q.size(-1) ** -0.5
    scores = torch.einsum("...ld,...sd->...ls", q * scale, k)
    L, S = scores.shape[-2:]
    keep = torch.ones(L, S, dtype=torch.bool, device=q.device)
    if causal:
        keep = torch.tril(keep)
    if key_padding_mask is not None:
        keep = keep & ~key_padding_mask[..., None, :]
    scores = torch.where(keep, scores, torch.finfo(scores.dtype).min)
    return torch.einsum("...ls,...sd->...ld", torch.softmax(scores, dim=-1), v)
