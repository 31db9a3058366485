# MISTAKE: recomputes the table in forward instead of registering it once as a buffer
# FEEDBACK: register_buffer
import math

import torch
from torch import nn


class SinusoidalPositionalEncoding(nn.Module):
    def __init__(self, d_model, max_len=5000):
        super().__init__()
        self.d_model = d_model
        self.max_len = max_len

    def forward(self, x):
        length, d = x.shape[1], self.d_model
        position = torch.arange(length, dtype=torch.float32, device=x.device).unsqueeze(1)
        freq = torch.exp(torch.arange(0, d, 2, dtype=torch.float32, device=x.device) * (-math.log(10000.0) / d))
        pe = torch.zeros(length, d, device=x.device)
        pe[:, 0::2] = torch.sin(position * freq)
        pe[:, 1::2] = torch.cos(position * freq)
        return x + pe.to(x.dtype)
