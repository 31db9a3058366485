"""Public tests for 03_training_loop/evaluate: the basics. The hidden suite checks much more."""

import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset

from grader.checks import assert_scalar_close, expect


def _loader():
    x = torch.tensor([[2.0, 0.0], [0.0, 1.0], [3.0, 1.0], [0.0, 2.0], [1.0, 0.0]])
    y = torch.tensor([0, 1, 1, 1, 0])  # a model that returns x is right on 4 of 5
    return DataLoader(TensorDataset(x, y), batch_size=2)


def test_loss_and_accuracy(kata):
    """returns the mean loss per sample and the accuracy as a fraction"""
    loader = _loader()
    x, y = loader.dataset.tensors
    loss, acc = kata.evaluate(nn.Identity(), loader, F.cross_entropy)
    assert_scalar_close(loss, F.cross_entropy(x, y).item(), what="the mean loss",
                        hint="weight each batch's loss.item() by its size, divide by the number of samples")
    assert_scalar_close(acc, 0.8, what="the accuracy", hint="correct argmax predictions / number of samples")


def test_mode_is_restored_and_no_grads(kata):
    """evaluates without gradients and gives the model back in training mode"""
    model = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5))
    model.train()
    kata.evaluate(model, _loader(), F.cross_entropy)
    expect(model.training and model[1].training,
           "the model was in training mode before evaluate: restore it with model.train(was_training)")
    expect(model[0].weight.grad is None, "evaluate must not compute gradients: use torch.no_grad()")
