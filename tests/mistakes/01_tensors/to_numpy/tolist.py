# MISTAKE: returns a Python list (tolist) instead of an array
# FEEDBACK: return a NumPy array
import numpy as np
import torch


def to_numpy(x):
    x = x.detach()
    if x.dtype == torch.bfloat16:
        x = x.float()
    return x.cpu().tolist()


def to_tensor(a):
    if any(s < 0 for s in a.strides):
        a = a.copy()
    return torch.from_numpy(a)
