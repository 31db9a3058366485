"""Public tests for 03_training_loop/train_epoch: the basics. The hidden suite checks much more."""

import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset

from grader.checks import assert_scalar_close, expect, manual_seed


def _data():
    g = torch.Generator().manual_seed(0)
    return TensorDataset(torch.randn(10, 3, generator=g), torch.randn(10, 1, generator=g))


def test_mean_loss_weighted_by_batch_size(kata):
    """returns the mean loss per sample (10 samples: batches of 4, 4 and 2)"""
    manual_seed(0)
    model = nn.Linear(3, 1)
    loader = DataLoader(_data(), batch_size=4)
    # what a correct epoch reports, worked out on a copy with plain SGD
    ref = nn.Linear(3, 1)
    ref.load_state_dict(model.state_dict())
    opt = torch.optim.SGD(ref.parameters(), lr=0.1)
    total = 0.0
    for x, y in loader:
        opt.zero_grad()
        loss = F.mse_loss(ref(x), y)
        loss.backward()
        opt.step()
        total += loss.item() * len(x)
    result = kata.train_epoch(model, loader, F.mse_loss, torch.optim.SGD(model.parameters(), lr=0.1))
    assert_scalar_close(result, total / 10, what="the epoch's mean loss",
                        hint="weight each batch's loss.item() by its size and divide by the number of samples")


def test_training_mode(kata):
    """leaves the model in training mode"""
    model = nn.Sequential(nn.Linear(3, 4), nn.Dropout(0.1), nn.Linear(4, 1))
    model.eval()
    kata.train_epoch(model, DataLoader(_data(), batch_size=4), F.mse_loss,
                     torch.optim.SGD(model.parameters(), lr=0.1))
    expect(all(m.training for m in model.modules()), "call model.train() before the loop")
