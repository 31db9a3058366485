# MISTAKE: swaps the arguments: nn.Linear(num_classes, in_features)
# FEEDBACK: in_features
from torch import nn


def replace_head(model, attr_name, num_classes):
    old = getattr(model, attr_name)
    new = nn.Linear(num_classes, old.in_features, bias=old.bias is not None,
                    device=old.weight.device, dtype=old.weight.dtype)
    new.train(old.training)
    setattr(model, attr_name, new)
    return new
