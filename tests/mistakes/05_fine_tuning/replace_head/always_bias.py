# MISTAKE: always gives the new head a bias, even when the old head had none
# FEEDBACK: bias=old.bias is not None
from torch import nn


def replace_head(model, attr_name, num_classes):
    old = getattr(model, attr_name)
    new = nn.Linear(old.in_features, num_classes, device=old.weight.device, dtype=old.weight.dtype)
    new.train(old.training)
    setattr(model, attr_name, new)
    return new
