# ALTERNATE: maps over the structure with torch.utils._pytree.tree_map
import torch


def best_device():
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


from torch.utils import _pytree


def to_device(obj, device):
    return _pytree.tree_map(lambda leaf: leaf.to(device) if isinstance(leaf, torch.Tensor) else leaf, obj)
