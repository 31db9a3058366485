# ALTERNATE: loops over the availability checks, and shallow-copies each dict with match/case
import copy

import torch


def best_device():
    for name, available in (("cuda", torch.cuda.is_available), ("mps", torch.backends.mps.is_available)):
        if available():
            return torch.device(name)
    return torch.device("cpu")


def to_device(obj, device):
    match obj:
        case torch.Tensor():
            return obj.to(device=device)
        case dict():
            out = copy.copy(obj)
            for key, value in obj.items():
                out[key] = to_device(value, device)
            return out
        case tuple() if hasattr(obj, "_fields"):
            return obj._make(to_device(v, device) for v in obj)
        case list() | tuple():
            return type(obj)([to_device(v, device) for v in obj])
        case _:
            return obj
