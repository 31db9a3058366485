# MISTAKE: turns bfloat16 into float16, which overflows for bfloat16's large values
# FEEDBACK: should become a float32 array
import numpy as np
import torch


def to_numpy(x):
    x = x.detach()
    if x.dtype == torch.bfloat16:
        x = x.half()
    return x.cpu().numpy()


def to_tensor(a):
    if any(s < 0 for s in a.strides):
        a = a.copy()
    return torch.from_numpy(a)
