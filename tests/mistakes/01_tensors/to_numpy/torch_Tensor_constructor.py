# MISTAKE: torch.Tensor(a), which copies and converts to float32
# FEEDBACK: torch.Tensor(a)
import numpy as np
import torch


def to_numpy(x):
    x = x.detach()
    if x.dtype == torch.bfloat16:
        x = x.float()
    return x.cpu().numpy()


def to_tensor(a):
    return torch.Tensor(a.copy())
