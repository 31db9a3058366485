# ALTERNATE: x.numpy(force=True), and torch.as_tensor with a copy only when it raises
import numpy as np
import torch


def to_numpy(x):
    if x.dtype == torch.bfloat16:
        x = x.detach().to(torch.float32)
    return x.numpy(force=True)


def to_tensor(a):
    try:
        return torch.as_tensor(a)
    except ValueError:
        return torch.as_tensor(a.copy())
