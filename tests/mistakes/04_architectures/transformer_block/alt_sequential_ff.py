# ALTERNATE: is_causal with a generated square mask, and the feed-forward written as a chain of calls
import torch
from torch import nn


class TransformerBlock(nn.Module):
    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1):
        super().__init__()
        self.self_attn = nn.MultiheadAttention(d_model, nhead, dropout=dropout, batch_first=True)
        self.norm1, self.norm2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.linear1 = nn.Linear(d_model, dim_feedforward)
        self.activation = nn.ReLU()
        self.dropout = nn.Dropout(dropout)
        self.linear2 = nn.Linear(dim_feedforward, d_model)
        self.dropout1, self.dropout2 = nn.Dropout(dropout), nn.Dropout(dropout)

    def forward(self, x, key_padding_mask=None, causal=False):
        n = x.size(1)
        attn_mask = torch.triu(torch.ones(n, n, device=x.device), diagonal=1).bool() if causal else None
        y = self.norm1(x)
        y = self.self_attn(y, y, y, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           need_weights=False, is_causal=causal)[0]
        x = x + self.dropout1(y)
        y = self.linear2(self.dropout(self.activation(self.linear1(self.norm2(x)))))
        return x + self.dropout2(y)
