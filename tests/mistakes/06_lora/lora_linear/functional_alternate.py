# ALTERNATE: F.linear for both paths, a hand-written uniform init, merged() via copy.deepcopy
import copy
import math

import torch
import torch.nn.functional as F
from torch import nn


class LoRALinear(nn.Module):
    def __init__(self, base, r=8, alpha=16.0, dropout=0.0):
        super().__init__()
        base.requires_grad_(False)
        self.base = base
        self.r, self.alpha = r, alpha
        self.scaling = float(alpha) / r
        w = base.weight
        bound = 1.0 / math.sqrt(base.in_features)
        self.lora_A = nn.Parameter(torch.empty(r, base.in_features, device=w.device, dtype=w.dtype).uniform_(-bound, bound))
        self.lora_B = nn.Parameter(w.new_zeros(base.out_features, r))
        self.dropout = nn.Dropout(p=dropout) if dropout > 0 else nn.Identity()

    def forward(self, x):
        low = F.linear(F.linear(self.dropout(x), self.lora_A), self.lora_B)
        return self.base(x) + self.scaling * low

    def merged(self):
        layer = copy.deepcopy(self.base)
        with torch.no_grad():
            layer.weight.add_(self.lora_B @ self.lora_A, alpha=self.scaling)
        return layer
