# MISTAKE: resizes the old head in place (new Parameters on the old layer) instead of making a new one
# FEEDBACK: the old head was reused
import torch
from torch import nn


def replace_head(model, attr_name, num_classes):
    head = getattr(model, attr_name)
    w = head.weight
    head.weight = nn.Parameter(torch.empty(num_classes, head.in_features, device=w.device, dtype=w.dtype))
    if head.bias is not None:
        head.bias = nn.Parameter(torch.empty(num_classes, device=w.device, dtype=w.dtype))
    head.out_features = num_classes
    head.reset_parameters()
    return head
