# ALTERNATE: uses .to(device=..., dtype=...) on the layer and the model's first parameter's dtype
from torch import nn


def replace_head(model, attr_name, num_classes):
    old_head = getattr(model, attr_name)
    ref = next(old_head.parameters())
    head = nn.Linear(old_head.in_features, num_classes, bias=old_head.bias is not None)
    head = head.to(device=ref.device, dtype=ref.dtype)
    head.train(old_head.training)
    setattr(model, attr_name, head)
    return head
