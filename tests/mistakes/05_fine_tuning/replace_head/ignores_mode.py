# MISTAKE: leaves the new head in train mode (the default) even when the model is in eval mode
# FEEDBACK: new modules start in train mode
from torch import nn


def replace_head(model, attr_name, num_classes):
    old = getattr(model, attr_name)
    new = nn.Linear(old.in_features, num_classes, bias=old.bias is not None,
                    device=old.weight.device, dtype=old.weight.dtype)
    setattr(model, attr_name, new)
    return new
