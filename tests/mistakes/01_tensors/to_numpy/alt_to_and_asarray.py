# ALTERNATE: .to('cpu', dtype) with np.asarray, and a min(strides) check with np.ascontiguousarray
import numpy as np
import torch


def to_numpy(x):
    dtype = torch.float32 if x.dtype == torch.bfloat16 else x.dtype
    return np.asarray(x.detach().to("cpu", dtype))


def to_tensor(a):
    if a.ndim and min(a.strides) < 0:
        a = np.ascontiguousarray(a)
    return torch.from_numpy(a)
