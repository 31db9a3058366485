# Generated from solutions/04_architectures/multi_head_attention.py by `python -m grader build` (2 to do): replace each NotImplementedError.
"""Kata 04_architectures/multi_head_attention: multi-head attention, equal to nn.MultiheadAttention.

One attention over all E features lets each query look at the keys in one way only. Multi-head
attention projects the inputs, cuts the E features into H heads of D = E // H features, runs H
attentions side by side and glues the results back together:

    q = q_proj(query); k = k_proj(key); v = v_proj(value)        # (B, L, E), (B, S, E), (B, S, E)
    split:  (B, L, E) -> view(B, L, H, D) -> transpose(1, 2)      # (B, H, L, D)
    attend: softmax(q @ k^T / sqrt(D), masked) @ v                # (B, H, L, D), per head
    merge:  transpose(1, 2) -> reshape(B, L, E)                   # (B, L, E)
    out_proj(merged)                                              # (B, L, E)

The module must hold exactly four nn.Linear(E, E) layers (with bias) named q_proj, k_proj, v_proj
and out_proj, and nothing else with parameters. With those names, the weights of
`nn.MultiheadAttention(E, H, batch_first=True)` load into it: its in_proj_weight (3E, E) is
q_proj, k_proj and v_proj stacked (in that order, the same for in_proj_bias), and its out_proj is
out_proj. The result must then equal nn.MultiheadAttention's.

Pitfalls:
- Split with view(B, L, H, D) then transpose(1, 2): view(B, H, L, D) directly mixes positions
  into heads. Merge the same way back: transpose(1, 2) first, then reshape(B, L, E) (a transposed
  tensor is not contiguous, so .view would fail: use .reshape or .contiguous().view).
- Scale by sqrt(D), the per-head size, not sqrt(E).
- query, key and value may be different tensors (cross-attention, L != S): each goes through its
  own projection.
- key_padding_mask is (B, S), True = padding (ignore that key), as in nn.MultiheadAttention. The
  scores are (B, H, L, S): the mask needs a heads dim and a query dim, mask[:, None, None, :].
- causal=True: query i attends only to keys j <= i.
- Create masks on the input's device; keep the input's dtype and device.
You may use F.scaled_dot_product_attention for the attention step (its bool attn_mask means
True = "may attend", the opposite of key_padding_mask), or write it out by hand.
"""

import torch
import torch.nn.functional as F
from torch import nn


class MultiHeadAttention(nn.Module):
    """Multi-head attention with separate q/k/v/out projections, batch first.

    Args:
        embed_dim: E, the feature size of query, key, value and output.
        num_heads: H; must divide embed_dim. Each head has D = E // H features.

    Attributes:
        q_proj, k_proj, v_proj, out_proj: nn.Linear(E, E) layers with bias.
    """

    def __init__(self, embed_dim: int, num_heads: int) -> None:
        super().__init__()
        if embed_dim % num_heads != 0:
            raise ValueError(f"embed_dim {embed_dim} is not divisible by num_heads {num_heads}")
        self.embed_dim = embed_dim
        self.num_heads = num_heads
        self.head_dim = embed_dim // num_heads
        # TODO: create the four projections q_proj, k_proj, v_proj, out_proj: nn.Linear(E, E).
        raise NotImplementedError("04_architectures/multi_head_attention: MultiHeadAttention.__init__() is not implemented yet: replace this line with your code")

    def forward(self, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                key_padding_mask: torch.Tensor | None = None, causal: bool = False) -> torch.Tensor:
        """Attend from query (B, L, E) to key/value (B, S, E).

        Args:
            key_padding_mask: optional bool (B, S), True = padding (that key is ignored).
            causal: if True, query i attends only to keys j <= i.

        Returns (B, L, E), in the input's dtype and on its device.
        """
        # TODO: project query/key/value; split each into heads (B, H, len, D); attend with the
        # TODO: masks; merge the heads back to (B, L, E); apply out_proj.
        raise NotImplementedError("04_architectures/multi_head_attention: MultiHeadAttention.forward() is not implemented yet: replace this line with your code")
