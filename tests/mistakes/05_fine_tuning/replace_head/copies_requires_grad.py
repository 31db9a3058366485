# MISTAKE: copies requires_grad from the old head, so a frozen model gets a frozen new head
# FEEDBACK: the new head is frozen
from torch import nn


def replace_head(model, attr_name, num_classes):
    old = getattr(model, attr_name)
    new = nn.Linear(old.in_features, num_classes, bias=old.bias is not None,
                    device=old.weight.device, dtype=old.weight.dtype)
    new.requires_grad_(old.weight.requires_grad)
    new.train(old.training)
    setattr(model, attr_name, new)
    return new
