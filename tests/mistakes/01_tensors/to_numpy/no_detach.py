# MISTAKE: calls .cpu().numpy() without .detach(), which a tensor that requires grad refuses
# FEEDBACK: call .detach() first
import numpy as np
import torch


def to_numpy(x):
    if x.dtype == torch.bfloat16:
        x = x.float()
    return x.cpu().numpy()


def to_tensor(a):
    if any(s < 0 for s in a.strides):
        a = a.copy()
    return torch.from_numpy(a)
