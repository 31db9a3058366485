# MISTAKE: returns a Python number for a 0-dim tensor
# FEEDBACK: not a list or a Python number
import numpy as np
import torch


def to_numpy(x):
    x = x.detach()
    if x.dtype == torch.bfloat16:
        x = x.float()
    if x.dim() == 0:
        return x.item()
    return x.cpu().numpy()


def to_tensor(a):
    if any(s < 0 for s in a.strides):
        a = a.copy()
    return torch.from_numpy(a)
