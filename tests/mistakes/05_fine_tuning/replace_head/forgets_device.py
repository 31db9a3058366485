# MISTAKE: matches the dtype but creates the new head on the CPU, whatever the model's device
# FEEDBACK: device=old.weight.device
from torch import nn


def replace_head(model, attr_name, num_classes):
    old = getattr(model, attr_name)
    new = nn.Linear(old.in_features, num_classes, bias=old.bias is not None, dtype=old.weight.dtype)
    new.train(old.training)
    setattr(model, attr_name, new)
    return new
