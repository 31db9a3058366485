# ALTERNATE: sublayer helper methods, F.dropout with training=self.training, a float -inf causal mask
import torch
import torch.nn.functional as F
from torch import nn


class TransformerBlock(nn.Module):
    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1):
        super().__init__()
        self.p = dropout
        self.self_attn = nn.MultiheadAttention(d_model, nhead, dropout=dropout, batch_first=True)
        self.linear1 = nn.Linear(d_model, dim_feedforward)
        self.linear2 = nn.Linear(dim_feedforward, d_model)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)

    def _sa(self, h, pad, causal):
        L = h.size(1)
        mask = None
        if causal:
            mask = torch.full((L, L), float("-inf"), dtype=h.dtype, device=h.device).triu(1)
            if pad is not None:
                pad = torch.zeros(pad.shape, dtype=h.dtype, device=h.device).masked_fill(pad, float("-inf"))
        out, _ = self.self_attn(h, h, h, key_padding_mask=pad, attn_mask=mask, need_weights=False)
        return F.dropout(out, self.p, training=self.training)

    def _ff(self, h):
        h = F.dropout(F.relu(self.linear1(h)), self.p, training=self.training)
        return F.dropout(self.linear2(h), self.p, training=self.training)

    def forward(self, x, key_padding_mask=None, causal=False):
        x = x + self._sa(self.norm1(x), key_padding_mask, causal)
        return x + self._ff(self.norm2(x))
