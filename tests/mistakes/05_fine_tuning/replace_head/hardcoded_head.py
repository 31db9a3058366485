# MISTAKE: always replaces model.head, ignoring attr_name
# FEEDBACK: getattr(model, attr_name)
from torch import nn


def replace_head(model, attr_name, num_classes):
    old = model.head
    new = nn.Linear(old.in_features, num_classes, bias=old.bias is not None,
                    device=old.weight.device, dtype=old.weight.dtype)
    new.train(old.training)
    model.head = new
    return new
