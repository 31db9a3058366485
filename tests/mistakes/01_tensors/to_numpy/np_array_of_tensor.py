# MISTAKE: np.array(x) on the tensor itself, which calls x.numpy() under the hood
# FEEDBACK: .detach()
import numpy as np
import torch


def to_numpy(x):
    return np.array(x)


def to_tensor(a):
    if any(s < 0 for s in a.strides):
        a = a.copy()
    return torch.from_numpy(a)
