"""Hidden tests for 03_training_loop/evaluate."""

import copy

import pytest
import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset

from grader.checks import (
    assert_close,
    assert_scalar_close,
    expect,
    expect_type,
    explain,
    manual_seed,
)

WEIGHTED = (
    "the mean loss is not weighted by batch size: sum loss.item() * batch size over the batches "
    "and divide by the number of samples (the last batch is smaller), not by the number of batches"
)
ACCURACY = (
    "the accuracy is wrong: count the correct predictions outputs.argmax(dim=-1) == targets over "
    "all batches and divide by the number of samples (not the mean of per-batch accuracies)"
)
EVAL_MODE = (
    "the model ran in training mode: call model.eval() before the loop, so that Dropout is off "
    "and BatchNorm uses (and does not update) its running statistics"
)
NO_GRAD = (
    "the forward pass ran with autograd recording: wrap the loop in torch.no_grad(); detaching "
    "the outputs afterwards is too late, the graph was already built"
)
RESTORE = (
    "restore the previous mode at the end: remember was_training = model.training before "
    "model.eval(), then call model.train(was_training)"
)
CLASS_DIM = ("take the argmax over the class dimension, outputs.argmax(dim=-1): one predicted "
             "class per sample, shape (B,)")


class Probe(nn.Module):
    """Passes its input through; records training mode and grad mode at every call."""

    def __init__(self):
        super().__init__()
        self.modes = []
        self.grad_modes = []

    def forward(self, x):
        self.modes.append(self.training)
        self.grad_modes.append(torch.is_grad_enabled())
        return x


class LoaderBroke(RuntimeError):
    pass


def _dataset(seed, n, features=5, classes=3, device="cpu"):
    """Inputs and class targets that a linear teacher mostly explains (accuracy well above chance)."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, features, generator=g)
    teacher = torch.randn(features, classes, generator=g)
    y = (x @ teacher + 0.8 * torch.randn(n, classes, generator=g)).argmax(dim=-1)
    return TensorDataset(x.to(device), y.to(device))


def _plain_model(seed, features=5, classes=3, device="cpu"):
    manual_seed(seed)
    return nn.Sequential(nn.Linear(features, 8), nn.ReLU(), nn.Linear(8, classes)).to(device)


def _noisy_model(seed, features=5, classes=3, probe=None):
    """A model whose output depends on the mode: Dropout and BatchNorm."""
    manual_seed(seed)
    layers = [nn.Linear(features, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.5)]
    if probe is not None:
        layers.append(probe)
    model = nn.Sequential(*layers, nn.Linear(8, classes))
    with torch.no_grad():  # running statistics that differ from any batch's
        model[1].running_mean.uniform_(-1, 1)
        model[1].running_var.uniform_(0.5, 2)
    return model


def _reference(model, loader, loss_fn):
    """Trusted: (mean loss, accuracy) of a copy of the model in eval mode under no_grad."""
    ref = copy.deepcopy(model).eval()
    total, correct, count = 0.0, 0, 0
    with torch.no_grad():
        for x, y in loader:
            out = ref(x)
            total += loss_fn(out, y).item() * len(y)
            correct += int((out.argmax(dim=-1) == y).sum())
            count += len(y)
    return total / count, correct / count


def _state(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _call(kata, model, loader, loss_fn=F.cross_entropy):
    with explain({r"must match the size of tensor b|The size of tensor a": CLASS_DIM}):
        return kata.evaluate(model, loader, loss_fn)


def _pair(result):
    expect_type(result, tuple, "evaluate's return value",
                hint="return a tuple (mean_loss, accuracy)")
    expect(len(result) == 2, f"evaluate should return 2 values (mean_loss, accuracy), got {len(result)}")
    loss, acc = result
    for value, name in ((loss, "the mean loss"), (acc, "the accuracy")):
        expect_type(value, float, name,
                    hint="return Python floats: accumulate loss.item() and plain counts, "
                         "converting tensors with .item()")
    return loss, acc


def test_returns_two_floats(kata, device):
    """returns (mean_loss, accuracy) as two Python floats"""
    model = _plain_model(1, device=device)
    loader = DataLoader(_dataset(2, 10, device=device), batch_size=4)
    loss, acc = _pair(_call(kata, model, loader))
    want_loss, want_acc = _reference(model, loader, F.cross_entropy)
    assert_scalar_close(loss, want_loss, what="the mean loss", hint=WEIGHTED)
    assert_scalar_close(acc, want_acc, what="the accuracy", hint=ACCURACY)


@pytest.mark.weight(2)
@pytest.mark.parametrize("n,batch", [(10, 4), (13, 5), (7, 2)])
def test_mean_loss_is_weighted_by_batch_size(kata, n, batch):
    """the mean loss is per sample: batches weighted by their size"""
    model = _plain_model(3 + n).eval()
    loader = DataLoader(_dataset(4 + n, n), batch_size=batch)
    loss, _ = _pair(_call(kata, model, loader))
    want, _ = _reference(model, loader, F.cross_entropy)
    assert_scalar_close(loss, want, what=f"the mean loss ({n} samples in batches of {batch})", hint=WEIGHTED)


@pytest.mark.weight(2)
@pytest.mark.parametrize("n,batch", [(10, 4), (11, 3)])
def test_accuracy_over_all_samples(kata, n, batch):
    """accuracy is correct argmax predictions over the number of samples"""
    model = _plain_model(5 + n, classes=4).eval()
    loader = DataLoader(_dataset(6 + n, n, classes=4), batch_size=batch)
    _, acc = _pair(_call(kata, model, loader))
    _, want = _reference(model, loader, F.cross_entropy)
    assert_scalar_close(acc, want, what=f"the accuracy ({n} samples in batches of {batch})", hint=ACCURACY)


def test_accuracy_is_a_fraction(kata):
    """a perfect classifier scores 1.0 (a fraction, not a percentage)"""
    g = torch.Generator().manual_seed(7)
    x = torch.randn(9, 3, generator=g)
    y = x.argmax(dim=-1)
    model = nn.Identity()  # scores = inputs: always right
    _, acc = _pair(_call(kata, model, DataLoader(TensorDataset(x, y), batch_size=4)))
    assert_scalar_close(acc, 1.0, what="the accuracy of a perfect classifier",
                        hint="accuracy is a fraction between 0 and 1 (correct / samples), not a "
                             "percentage; predictions are outputs.argmax(dim=-1)")


@pytest.mark.weight(2)
def test_runs_in_eval_mode(kata):
    """evaluates in eval mode: Dropout off, BatchNorm on its running statistics"""
    probe = Probe()
    model = _noisy_model(8, probe=probe).train()
    loader = DataLoader(_dataset(9, 12), batch_size=4)
    want_loss, want_acc = _reference(model, loader, F.cross_entropy)
    loss, acc = _pair(_call(kata, model, loader))
    expect(len(probe.modes) == len(loader),
           f"the model ran on {len(probe.modes)} batches, but the loader has {len(loader)}: "
           "evaluate every batch once")
    expect(not any(probe.modes), EVAL_MODE)
    assert_scalar_close(loss, want_loss, what="the mean loss of a Dropout/BatchNorm model", hint=EVAL_MODE)
    assert_scalar_close(acc, want_acc, what="the accuracy of a Dropout/BatchNorm model", hint=EVAL_MODE)


def test_does_not_change_the_model(kata):
    """leaves parameters and BatchNorm running statistics untouched"""
    model = _noisy_model(10).train()
    before = _state(model)
    _call(kata, model, DataLoader(_dataset(11, 10), batch_size=4))
    for name, value in model.state_dict().items():
        assert_close(value, before[name], what=f"the model's {name!r} after evaluate",
                     hint="evaluate changed the model: " + EVAL_MODE, rtol=0, atol=0)


@pytest.mark.weight(2)
def test_builds_no_graph(kata):
    """runs under torch.no_grad(): no graph, no gradients, autograd back on afterwards"""
    probe = Probe()
    model = nn.Sequential(nn.Linear(5, 6), probe, nn.ReLU(), nn.Linear(6, 3))
    _call(kata, model, DataLoader(_dataset(12, 8), batch_size=4))
    expect(len(probe.grad_modes) > 0, "the model was never called on a batch")
    expect(not any(probe.grad_modes), NO_GRAD)
    for name, p in model.named_parameters():
        expect(p.grad is None, f"evaluate created a gradient for {name!r}: do not call backward() "
                               "when evaluating; " + NO_GRAD)
        expect(p.requires_grad, f"evaluate switched off requires_grad of {name!r}: use "
                                "torch.no_grad() instead, which changes nothing in the model")
    expect(torch.is_grad_enabled(),
           "autograd was left switched off after evaluate: use a `with torch.no_grad():` block, "
           "which switches it back on, rather than torch.set_grad_enabled(False)")


def test_restores_training_mode(kata):
    """a model that was in training mode is in training mode again afterwards"""
    model = _noisy_model(13).train()
    _call(kata, model, DataLoader(_dataset(14, 8), batch_size=4))
    expect(all(m.training for m in model.modules()),
           "the model was in training mode before evaluate and is not after it: " + RESTORE)


def test_keeps_eval_mode(kata):
    """a model that was in eval mode stays in eval mode"""
    model = _noisy_model(15).eval()
    _call(kata, model, DataLoader(_dataset(16, 8), batch_size=4))
    expect(not any(m.training for m in model.modules()),
           "the model was in eval mode before evaluate but is in training mode after it: calling "
           "model.train() at the end switches a model the caller had in eval mode. " + RESTORE)


def test_restores_mode_when_the_loop_fails(kata):
    """restores the mode even when the loader raises (try/finally)"""
    model = _noisy_model(17).train()
    data = _dataset(18, 8)

    def failing_loader():
        yield data.tensors[0][:4], data.tensors[1][:4]
        raise LoaderBroke("the data source failed")

    with pytest.raises(LoaderBroke):
        _call(kata, model, failing_loader())
    expect(all(m.training for m in model.modules()),
           "after an error in the loop the model was left in eval mode: restore the previous mode "
           "in a try/finally block, so it is restored even when an exception escapes")


def test_argmax_over_the_class_dimension(kata):
    """predicts with the argmax over classes, for batches larger than the number of classes"""
    model = _plain_model(19, classes=2).eval()
    loader = DataLoader(_dataset(20, 11, classes=2), batch_size=5)
    _, acc = _pair(_call(kata, model, loader))
    _, want = _reference(model, loader, F.cross_entropy)
    assert_scalar_close(acc, want, what="the accuracy with 2 classes and batches of 5", hint=CLASS_DIM)


def test_does_not_change_the_data(kata):
    """leaves the dataset's tensors unchanged"""
    data = _dataset(21, 8)
    x0, y0 = data.tensors[0].clone(), data.tensors[1].clone()
    _call(kata, _plain_model(22), DataLoader(data, batch_size=4))
    assert_close(data.tensors[0], x0, what="the inputs after evaluate",
                 hint="evaluate changed the data in place: leave the batches as they are")
    assert_close(data.tensors[1], y0, what="the targets after evaluate",
                 hint="evaluate changed the data in place: leave the batches as they are")
