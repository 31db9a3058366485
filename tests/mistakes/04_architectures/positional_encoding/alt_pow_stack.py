# ALTERNATE: frequencies with torch.pow, interleaving by stacking sin and cos then flattening
import torch
import torch.nn as nn


class SinusoidalPositionalEncoding(nn.Module):
    def __init__(self, d_model, max_len=5000):
        super().__init__()
        pos = torch.arange(max_len).float()[:, None]
        inv = torch.pow(10000.0, -torch.arange(0, d_model, 2).float() / d_model)
        angles = pos * inv  # (max_len, d_model / 2)
        table = torch.stack((angles.sin(), angles.cos()), dim=-1).flatten(1)
        self.register_buffer("pe", table)

    def forward(self, x):
        return x + self.pe[: x.size(1)].type_as(x)
