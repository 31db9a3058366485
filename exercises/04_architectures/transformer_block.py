# Generated from solutions/04_architectures/transformer_block.py by `python -m grader build` (2 to do): replace each NotImplementedError.
"""Kata 04_architectures/transformer_block: a pre-norm Transformer encoder block.

A Transformer block is two sublayers, each wrapped in a residual connection. In the pre-norm
form (used by GPT-2 and most modern models, and by nn.TransformerEncoderLayer(norm_first=True))
each sublayer sees a normalized copy of x, and its output is added to the un-normalized x:

    h = norm1(x)
    x = x + dropout1(self_attn(h, h, h))                     # attention sublayer
    x = x + dropout2(linear2(dropout(relu(linear1(norm2(x))))))  # feed-forward sublayer

With the same weights, the result must equal
`nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout, batch_first=True,
norm_first=True)`, whose submodule names you must use so its weights load into yours:

    self_attn   nn.MultiheadAttention(d_model, nhead, dropout=dropout, batch_first=True)
    linear1     nn.Linear(d_model, dim_feedforward)
    linear2     nn.Linear(dim_feedforward, d_model)
    norm1       nn.LayerNorm(d_model)       (before attention)
    norm2       nn.LayerNorm(d_model)       (before the feed-forward part)
    dropout, dropout1, dropout2   nn.Dropout(dropout)  (inside the feed-forward; on each sublayer's output)

Pitfalls:
- Normalize only the sublayer's input; the residual path carries x itself. Norm after the add is
  the older post-norm block, a different model.
- Dropout goes on each sublayer's output before it is added, never on the residual stream. Use
  nn.Dropout modules (or F.dropout(..., training=self.training)) so that dropout is on in train
  mode and off in eval mode. forward must not switch the mode itself.
- nn.MultiheadAttention returns a pair (output, weights): take [0]; pass need_weights=False to
  skip computing the weights.
- Its masks: key_padding_mask (B, L) with True = padding, as here; its bool attn_mask uses
  True = "may NOT attend", so the causal mask is the part above the diagonal:
  torch.ones(L, L, dtype=torch.bool, device=x.device).triu(1).
- The activation of the feed-forward part is ReLU.
"""

import torch
from torch import nn


class TransformerBlock(nn.Module):
    """A pre-norm Transformer encoder block, batch first.

    Args:
        d_model: the feature size E.
        nhead: the number of attention heads (divides d_model).
        dim_feedforward: the hidden size of the feed-forward part.
        dropout: the dropout probability, used everywhere dropout appears.
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1) -> None:
        super().__init__()
        # TODO: create self_attn, linear1, linear2, norm1, norm2, dropout, dropout1, dropout2 as
        # TODO: listed in the module docstring (self_attn with batch_first=True).
        raise NotImplementedError("04_architectures/transformer_block: TransformerBlock.__init__() is not implemented yet: replace this line with your code")

    def forward(self, x: torch.Tensor, key_padding_mask: torch.Tensor | None = None,
                causal: bool = False) -> torch.Tensor:
        """x: (B, L, d_model). key_padding_mask: optional bool (B, L), True = padding.
        causal: if True, position i attends only to positions j <= i.

        Returns (B, L, d_model).
        """
        # TODO: x = x + dropout1(attention of norm1(x), with the masks); then
        # TODO: x = x + dropout2(linear2(dropout(relu(linear1(norm2(x)))))).
        raise NotImplementedError("04_architectures/transformer_block: TransformerBlock.forward() is not implemented yet: replace this line with your code")
