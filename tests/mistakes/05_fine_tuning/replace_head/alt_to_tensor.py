# ALTERNATE: builds the layer from weight.shape[1], moves it with .to(old.weight), copies the model's mode
from torch import nn


def replace_head(model, attr_name, num_classes):
    old = getattr(model, attr_name)
    has_bias = old.bias is not None
    new = nn.Linear(old.weight.shape[1], num_classes, bias=has_bias).to(old.weight)
    if not model.training:
        new.eval()
    model.register_module(attr_name, new)
    return new
