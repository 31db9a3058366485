# MISTAKE: converts every tensor to float32 on the way, so float64 and int64 lose their dtype
# FEEDBACK: keep the tensor's dtype
import numpy as np
import torch


def to_numpy(x):
    return x.detach().cpu().float().numpy()


def to_tensor(a):
    if any(s < 0 for s in a.strides):
        a = a.copy()
    return torch.from_numpy(a)
