# MISTAKE: copies every array before torch.from_numpy, to be safe
# FEEDBACK: torch.from_numpy(a) shares
import numpy as np
import torch


def to_numpy(x):
    x = x.detach()
    if x.dtype == torch.bfloat16:
        x = x.float()
    return x.cpu().numpy()


def to_tensor(a):
    return torch.from_numpy(a.copy())
