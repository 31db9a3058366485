# MISTAKE: recurses into every collections.abc.Sequence, strings included
# FEEDBACK: a string is a Sequence too
import torch


from collections.abc import Mapping, Sequence

def best_device():
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def to_device(obj, device):
    if isinstance(obj, torch.Tensor):
        return obj.to(device)
    if isinstance(obj, Mapping):
        return type(obj)((k, to_device(v, device)) for k, v in obj.items())
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return type(obj)(*(to_device(v, device) for v in obj))
    if isinstance(obj, Sequence):
        return type(obj)(to_device(v, device) for v in obj)
    return obj
