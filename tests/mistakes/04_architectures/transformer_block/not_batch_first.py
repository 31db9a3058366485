# MISTAKE: creates self_attn without batch_first=True, so it reads (B, L, E) as (L, B, E)
# FEEDBACK: batch_first=True
import torch
import torch.nn.functional as F
from torch import nn


class TransformerBlock(nn.Module):
    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1):
        super().__init__()
        self.self_attn = nn.MultiheadAttention(d_model, nhead, dropout=dropout)
        self.linear1 = nn.Linear(d_model, dim_feedforward)
        self.linear2 = nn.Linear(dim_feedforward, d_model)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.dropout = nn.Dropout(dropout)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)
        self.p = dropout

    def forward(self, x, key_padding_mask=None, causal=False):
        L = x.shape[1]
        mask = torch.ones(L, L, dtype=torch.bool, device=x.device).triu(1) if causal else None
        h = self.norm1(x)
        x = x + self.dropout1(self.self_attn(h, h, h, key_padding_mask=key_padding_mask, attn_mask=mask, need_weights=False)[0])
        x = x + self.dropout2(self.linear2(self.dropout(F.relu(self.linear1(self.norm2(x))))))
        return x
