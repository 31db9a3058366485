# Generated from solutions/04_architectures/attention.py by `python -m grader build` (1 to do): replace each NotImplementedError.
"""Kata 04_architectures/attention: scaled dot-product attention, with causal and padding masks.

Attention lets every query position take a weighted average of the values, weighted by how well
the query matches each key:

    scores  = q @ k^T / sqrt(D)           # (..., L, S): one score per (query, key) pair
    scores  = masked where not allowed    # set to -inf BEFORE the softmax
    weights = softmax(scores, dim=-1)     # each query's weights over the S keys sum to 1
    out     = weights @ v                 # (..., L, Dv)

Shapes: q is (..., L, D), k is (..., S, D), v is (..., S, Dv); the leading dims "..." (batch,
heads) are the same for all three. The result must equal `F.scaled_dot_product_attention`.

Pitfalls:
- Transpose the last two dims of k: `k.transpose(-2, -1)`. `k.T` or `k.transpose(1, 2)` only
  work for one particular number of dimensions.
- Scale by 1 / sqrt(D), where D = q.shape[-1] is the feature size, not the sequence length.
  Without it, scores grow with D and the softmax saturates.
- The softmax runs over the keys (the last dim), so that each query's weights sum to 1.
- Mask before the softmax, by filling the forbidden scores with float("-inf"): exp(-inf) is
  exactly 0. Zeroing weights after the softmax leaves rows that no longer sum to 1; a "big
  negative number" like -1e4 is not big enough when scores are large, and -1e9 does not even fit
  in float16.
- Build masks on the input's device (device=q.device) and keep the input's dtype: the result has
  q's dtype and device. Do not change q, k, v or the mask in place: they belong to the caller.

Masks (both optional, both may be given at once):
- causal=True: query i may attend only to keys j <= i. The allowed pattern is
  `torch.ones(L, S, dtype=torch.bool).tril()` (for L == S the usual "no peeking ahead").
- key_padding_mask: a bool tensor of shape (..., S) where **True means "this key is padding:
  ignore it"** (the convention of nn.MultiheadAttention). Its leading dims broadcast against the
  scores' leading dims: (B, S) for q of shape (B, L, D); (B, 1, S) for q of shape (B, H, L, D).
  The same keys are ignored for every query, so insert the query dim: `mask.unsqueeze(-2)`.
Every query must keep at least one key it may attend to (the tests never mask a whole row).
"""

import math

import torch


def attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, causal: bool = False,
              key_padding_mask: torch.Tensor | None = None) -> torch.Tensor:
    """softmax(q @ k^T / sqrt(D), masked) @ v.

    Args:
        q: queries, (..., L, D).
        k: keys, (..., S, D).
        v: values, (..., S, Dv).
        causal: if True, query i attends only to keys j <= i.
        key_padding_mask: optional bool tensor (..., S), True = padding (ignore that key).

    Returns the attended values, (..., L, Dv), with q's dtype and device.
    """
    # TODO: scores = q @ k^T / sqrt(D); fill the scores that are not allowed (causal: j > i;
    # TODO: padding: key_padding_mask True) with -inf; softmax over the keys; multiply by v.
    raise NotImplementedError("04_architectures/attention: attention() is not implemented yet: replace this line with your code")
