# MISTAKE: switches requires_grad off on the caller's tensor instead of detaching
# FEEDBACK: do not switch requires_grad off
import numpy as np
import torch


def to_numpy(x):
    x.requires_grad_(False)
    if x.dtype == torch.bfloat16:
        x = x.float()
    return x.cpu().numpy()


def to_tensor(a):
    if any(s < 0 for s in a.strides):
        a = a.copy()
    return torch.from_numpy(a)
