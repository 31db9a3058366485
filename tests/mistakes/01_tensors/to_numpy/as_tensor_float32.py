# MISTAKE: torch.as_tensor(a, dtype=torch.float32), which copies and converts float64 arrays
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
    return torch.as_tensor(a, dtype=torch.float32)
