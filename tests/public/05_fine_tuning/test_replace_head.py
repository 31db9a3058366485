"""Public tests for 05_fine_tuning/replace_head: the basics. The hidden suite checks much more."""

import torch
from torch import nn

from grader.checks import expect, expect_tensor, expect_type


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(nn.Linear(6, 16), nn.ReLU())
        self.head = nn.Linear(16, 10)

    def forward(self, x):
        return self.head(self.backbone(x))


def test_new_head_for_new_classes(kata):
    """returns a new nn.Linear(in_features, num_classes), installed on the model"""
    model = Classifier()
    new = kata.replace_head(model, "head", 3)
    expect_type(new, nn.Linear, "replace_head's result", hint="return the new nn.Linear head")
    expect(new.in_features == 16 and new.out_features == 3,
           f"the new head should map 16 features to 3 classes, got nn.Linear({new.in_features}, "
           f"{new.out_features}): keep in_features from the old head")
    expect(model.head is new, "the new head was not installed on the model: setattr(model, attr_name, new)")
    expect_tensor(model(torch.randn(4, 6)), "the model's output", shape=(4, 3))


def test_same_dtype_as_the_backbone(kata):
    """creates the new head in the model's dtype"""
    model = Classifier().double()
    new = kata.replace_head(model, "head", 5)
    expect_tensor(new.weight.detach(), "the new head's weight", dtype=torch.float64,
                  hint="create the layer with dtype=old.weight.dtype: nn.Linear alone is float32")
