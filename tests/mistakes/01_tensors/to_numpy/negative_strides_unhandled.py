# MISTAKE: plain torch.from_numpy, which refuses reversed arrays (negative strides)
# FEEDBACK: copy such an array first
import numpy as np
import torch


def to_numpy(x):
    x = x.detach()
    if x.dtype == torch.bfloat16:
        x = x.float()
    return x.cpu().numpy()


def to_tensor(a):
    return torch.from_numpy(a)
