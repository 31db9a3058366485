# MISTAKE: makes every array contiguous first, which copies views such as a[:, ::2] and a.T needlessly
# FEEDBACK: do not make them contiguous first
import numpy as np
import torch


def to_numpy(x):
    x = x.detach()
    if x.dtype == torch.bfloat16:
        x = x.float()
    return x.cpu().numpy()


def to_tensor(a):
    return torch.from_numpy(np.ascontiguousarray(a))
