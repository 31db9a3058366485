"""Kata 04_architectures/positional_encoding: sinusoidal positional encoding, stored as a buffer.

Attention by itself does not know the order of its inputs. The original Transformer adds to each
position a fixed pattern of sines and cosines of different wavelengths:

    pe[pos, 2i]     = sin(pos / 10000^(2i / d_model))
    pe[pos, 2i + 1] = cos(pos / 10000^(2i / d_model))       for 2i = 0, 2, 4, ..., d_model - 2

so even columns hold sines, odd columns cosines (interleaved, not one half then the other), and
column pair i has frequency 1 / 10000^(2i / d_model): fast for the first columns, slow for the
last. `exp(-(2i) * ln(10000) / d_model)` computes the same frequencies.

The table is computed once, in __init__, and is not learned. Where to keep it?
- a plain attribute (`self.pe = pe`) is invisible to the module: `model.to("cuda")` leaves it
  behind on the CPU, and `state_dict()` does not save it;
- an `nn.Parameter` would be handed to the optimizer and trained;
- `self.register_buffer("pe", pe, persistent=True)` is the answer: a buffer moves and changes
  dtype with `.to(...)`, is saved in `state_dict()` (persistent=True), and is not a parameter.

forward(x) adds the first L rows of the table to x of shape (B, L, d_model) and returns a new
tensor with x's dtype and device (cast the slice with `.to(x.dtype)`: a float32 table would
otherwise upcast a float16 x). Do not change x in place. d_model is even; L <= max_len.
"""

import math

import torch
from torch import nn


class SinusoidalPositionalEncoding(nn.Module):
    """Adds fixed sinusoidal position encodings to a batch of sequences.

    Args:
        d_model: the feature size (even).
        max_len: the longest sequence the table covers.

    Attributes:
        pe: a buffer (registered with persistent=True) of shape (max_len, d_model), float32.
    """

    def __init__(self, d_model: int, max_len: int = 5000) -> None:
        super().__init__()
        self.d_model = d_model
        self.max_len = max_len
        ### BEGIN SOLUTION
        # TODO: build the (max_len, d_model) table: sin in the even columns, cos in the odd ones,
        # TODO: frequency 1 / 10000^(2i / d_model) for column pair i; register it as the buffer
        # TODO: "pe" with persistent=True.
        position = torch.arange(max_len, dtype=torch.float32).unsqueeze(1)  # (max_len, 1)
        two_i = torch.arange(0, d_model, 2, dtype=torch.float32)  # (d_model / 2,)
        freq = torch.exp(-two_i * math.log(10000.0) / d_model)  # (d_model / 2,)
        pe = torch.zeros(max_len, d_model)
        pe[:, 0::2] = torch.sin(position * freq)
        pe[:, 1::2] = torch.cos(position * freq)
        self.register_buffer("pe", pe, persistent=True)
        ### END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, L, d_model). Returns x + pe[:L] (broadcast over the batch), in x's dtype."""
        ### BEGIN SOLUTION
        # TODO: add the first L rows of the table (L = x.shape[1]), cast to x's dtype; return a
        # TODO: new tensor.
        length = x.shape[1]
        return x + self.pe[:length].to(x.dtype)  # (B, L, d_model) + (L, d_model)
        ### END SOLUTION
