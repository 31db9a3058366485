# MISTAKE: torch.from_numpy(a).float(), converting float64 arrays (and copying them)
# FEEDBACK: keep the array's dtype
import numpy as np
import torch


def to_numpy(x):
    x = x.detach()
    if x.dtype == torch.bfloat16:
        x = x.float()
    return x.cpu().numpy()


def to_tensor(a):
    if any(s < 0 for s in a.strides):
        a = a.copy()
    return torch.from_numpy(a).float()
