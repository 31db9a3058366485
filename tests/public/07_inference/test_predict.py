"""Public tests for 07_inference/predict: the basics. The hidden suite checks much more."""

import torch
from torch import nn

from grader.checks import assert_close, expect, manual_seed


def _model():
    manual_seed(0)
    return nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(0.5), nn.Linear(16, 3))


def test_returns_class_indices(kata):
    """returns the argmax class index of each row, computed in eval mode"""
    model = _model()
    x = torch.randn(8, 4)
    model.eval()
    with torch.no_grad():
        expected = model(x).argmax(dim=-1)
    model.train()
    assert_close(kata.predict(model, x), expected, what="the predicted classes",
                 hint="predict in eval mode (dropout off) and return argmax over the last dim")


def test_restores_train_mode(kata):
    """leaves a training model in train mode"""
    model = _model()
    model.train()
    kata.predict(model, torch.randn(2, 4))
    expect(model.training, "the model was left in eval mode: restore its previous mode afterwards")
