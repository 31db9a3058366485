# ALTERNATE: einsum forward, new Parameters assigned in merged(), dropout applied through F.dropout(training=self.training)
import math

import torch
import torch.nn.functional as F
from torch import nn


class LoRALinear(nn.Module):
    def __init__(self, base, r=8, alpha=16.0, dropout=0.0):
        super().__init__()
        self.base = base
        for _, p in base.named_parameters():
            p.requires_grad = False
        self.r = r
        self.alpha = alpha
        self.p = dropout
        self.dropout = nn.Dropout(dropout)
        self.scaling = alpha / r
        A = torch.empty(r, base.in_features, device=base.weight.device, dtype=base.weight.dtype)
        nn.init.kaiming_uniform_(A, a=math.sqrt(5))
        self.lora_A = nn.Parameter(A)
        self.lora_B = nn.Parameter(base.weight.new_zeros(base.out_features, r))

    def forward(self, x):
        h = F.dropout(x, self.p, training=self.training)
        delta = torch.einsum("...i,ri,or->...o", h, self.lora_A, self.lora_B)
        return self.base(x) + delta * self.scaling

    def merged(self):
        b = self.base
        out = nn.Linear(b.in_features, b.out_features, bias=b.bias is not None).to(b.weight.device, b.weight.dtype)
        with torch.no_grad():
            out.weight = nn.Parameter(b.weight + self.scaling * (self.lora_B @ self.lora_A))
            if b.bias is not None:
                out.bias = nn.Parameter(b.bias.clone())
        return out
