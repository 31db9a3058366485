# MISTAKE: torch.tensor(a), which always copies
# FEEDBACK: torch.tensor(a) and a.copy() copy
import numpy as np
import torch


def to_numpy(x):
    x = x.detach()
    if x.dtype == torch.bfloat16:
        x = x.float()
    return x.cpu().numpy()


def to_tensor(a):
    return torch.tensor(a)
