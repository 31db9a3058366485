# MISTAKE: builds and returns the new head but never puts it on the model
# FEEDBACK: setattr(model, attr_name, new)
from torch import nn


def replace_head(model, attr_name, num_classes):
    old = getattr(model, attr_name)
    new = nn.Linear(old.in_features, num_classes, bias=old.bias is not None,
                    device=old.weight.device, dtype=old.weight.dtype)
    new.train(old.training)
    return new
