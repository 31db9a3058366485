# MISTAKE: the classic one-liner that knows only CUDA and CPU, never MPS
# FEEDBACK: the best device is mps
import torch


def best_device():
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def to_device(obj, device):
    if isinstance(obj, torch.Tensor):
        return obj.to(device)
    if isinstance(obj, dict):
        return type(obj)((k, to_device(v, device)) for k, v in obj.items())
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return type(obj)(*(to_device(v, device) for v in obj))
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_device(v, device) for v in obj)
    return obj
