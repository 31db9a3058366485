"""Hidden tests for 07_inference/predict."""

import pytest
import torch
from torch import nn

from grader.checks import assert_close, expect, expect_tensor, fail, manual_seed

OFF_DEVICE = ("the result was copied off the model's device (.cpu(), .item(), .tolist()?): return "
              "the argmax indices where they were computed; do not move them to the CPU")
RESTORE = ("restore every module's previous mode after predicting: remember each module's "
           ".training flag (model.modules()) and set them back in a finally: block")


class Probe(nn.Module):
    """Passes its input through and records (training, grad enabled) at each call."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def forward(self, x):
        self.seen.append((self.training, torch.is_grad_enabled()))
        return x


class Boom(nn.Module):
    def forward(self, x):
        raise RuntimeError("boom: the forward pass failed")


class Net(nn.Module):
    """Linear -> BatchNorm -> ReLU -> Dropout -> Probe -> Linear; works on (..., d_in)."""

    def __init__(self, d_in=6, hidden=16, classes=5):
        super().__init__()
        self.fc1 = nn.Linear(d_in, hidden)
        self.bn = nn.BatchNorm1d(hidden)
        self.drop = nn.Dropout(0.5)
        self.probe = Probe()
        self.fc2 = nn.Linear(hidden, classes)

    def forward(self, x):
        h = self.fc1(x)
        lead = h.shape[:-1]
        h = self.bn(h.reshape(-1, h.shape[-1])).reshape(*lead, -1)
        return self.fc2(self.probe(self.drop(torch.relu(h))))


def _net(seed, device="cpu", **kw):
    manual_seed(seed)
    net = Net(**kw).to(device)
    with torch.no_grad():  # give BatchNorm non-trivial running statistics
        net.bn.running_mean.uniform_(-1, 1)
        net.bn.running_var.uniform_(0.5, 2)
    return net


def _oracle(net, x):
    modes = [(m, m.training) for m in net.modules()]
    net.eval()
    with torch.no_grad():
        out = net(x).argmax(dim=-1)
    for m, flag in modes:
        m.training = flag
    net.probe.seen.clear()
    return out


def _modes(model):
    return {name: m.training for name, m in model.named_modules()}


@pytest.mark.weight(2)
@pytest.mark.parametrize("lead", [(10,), (3, 7), (2, 2, 4)])
def test_class_indices(kata, lead, device):
    """returns int64 argmax indices over the last dim, with the input's leading shape"""
    net = _net(1, device)
    x = torch.randn(*lead, 6, generator=torch.Generator().manual_seed(2)).to(device)
    expected = _oracle(net, x)
    net.train()
    got = kata.predict(net, x)
    expect_tensor(got, "the predictions", shape=lead, dtype=torch.int64, device=device,
                  hint="return class indices: argmax over the LAST dim (dim=-1) of the logits, "
                       "not probabilities, not dim=1 or a flattened argmax, no keepdim")
    assert_close(got, expected, what="the predicted classes",
                 hint="predict in eval mode: Dropout off and BatchNorm using its running statistics")


@pytest.mark.weight(2)
def test_forward_in_eval_mode(kata):
    """runs the forward pass in eval mode, leaving BatchNorm's running statistics alone"""
    net = _net(3)
    net.train()
    stats = (net.bn.running_mean.clone(), net.bn.running_var.clone())
    kata.predict(net, torch.randn(12, 6))
    expect(len(net.probe.seen) == 1, f"the model was called {len(net.probe.seen)} times; call it once")
    expect(net.probe.seen[0][0] is False,
           "the forward pass ran in train mode: call model.eval() (with parentheses) before it")
    assert_close(net.bn.running_mean, stats[0], what="BatchNorm's running_mean after predict",
                 hint="predict changed BatchNorm's running statistics: it ran in train mode")
    assert_close(net.bn.running_var, stats[1], what="BatchNorm's running_var after predict",
                 hint="predict changed BatchNorm's running statistics: it ran in train mode")


@pytest.mark.weight(2)
def test_no_autograd(kata):
    """runs the forward pass without autograd and leaves autograd on for the caller"""
    net = _net(4)
    kata.predict(net, torch.randn(5, 6))
    expect(net.probe.seen[-1][1] is False,
           "autograd was recording during the forward pass: run it inside `with torch.no_grad():` "
           "(or torch.inference_mode())")
    expect(torch.is_grad_enabled(),
           "autograd was left switched off after predict: use `with torch.no_grad():`, which "
           "switches it back on, not torch.set_grad_enabled(False)")


@pytest.mark.parametrize("training", [True, False])
def test_restores_the_mode(kata, training):
    """leaves the model in the mode it was in (train or eval)"""
    net = _net(5)
    net.train(training)
    kata.predict(net, torch.randn(4, 6))
    expect(_modes(net) == {name: training for name in _modes(net)},
           f"the model was {'in train' if training else 'in eval'} mode before predict and is not "
           f"afterwards: {RESTORE} (do not always call model.train() at the end)")


@pytest.mark.weight(2)
def test_restores_mixed_modes(kata):
    """restores each submodule's own mode (a frozen BatchNorm stays in eval mode)"""
    net = _net(6)
    net.train()
    net.bn.eval()  # frozen BatchNorm while the rest trains, as in fine-tuning
    before = _modes(net)
    kata.predict(net, torch.randn(4, 6))
    changed = sorted(name for name, flag in _modes(net).items() if flag != before[name])
    expect(not changed,
           f"the modes of {changed} changed: model.train(was_training) switches every submodule to "
           f"train mode, including a frozen BatchNorm that was in eval mode. {RESTORE}, setting "
           "module.training = flag for each")


@pytest.mark.weight(2)
@pytest.mark.parametrize("training", [True, False])
def test_restores_after_an_error(kata, training):
    """restores the modes and autograd when the forward pass raises, and lets the error through"""
    manual_seed(7)
    model = nn.Sequential(nn.Linear(3, 3), nn.Sequential(nn.Dropout(0.1), Boom()))
    model.train(training)
    model[0].train(not training)
    before = _modes(model)
    error = None
    try:
        kata.predict(model, torch.randn(2, 3))
    except NotImplementedError:  # a RuntimeError too: the stub, not the model's error
        raise
    except RuntimeError as err:
        error = err
    expect(error is not None and "boom" in str(error),
           "predict swallowed the model's error: let it propagate to the caller "
           "(restore the modes in try/finally, do not catch the error)")
    changed = sorted(name for name, flag in _modes(model).items() if flag != before[name])
    expect(not changed, f"after the forward pass raised, the modes of {changed} were not restored: "
                        "restore them in a finally: block, which runs even when an error escapes")
    expect(torch.is_grad_enabled(),
           "after the forward pass raised, autograd was left switched off: use "
           "`with torch.no_grad():`, which switches it back on even on errors")


def test_input_unchanged(kata):
    """does not change the input"""
    net = _net(8)
    x = torch.randn(6, 6)
    x_before = x.clone()
    kata.predict(net, x)
    assert_close(x, x_before, what="the input after predict", hint="predict changed its input in place")


def test_meta_device(kata):
    """keeps the result on the model's device (checked with the meta device)"""
    model = nn.Sequential(nn.Linear(4, 8, device="meta"), nn.ReLU(), nn.Linear(8, 3, device="meta"))
    try:
        got = kata.predict(model, torch.empty(5, 4, device="meta"))
    except NotImplementedError as err:  # torch's "Cannot copy out of meta tensor", not a stub
        if "meta tensor" not in str(err):
            raise
        fail(f"{OFF_DEVICE}\n  (your code raised NotImplementedError: {err})")
    expect_tensor(got, "the predictions on the meta device", shape=(5,), dtype=torch.int64, device="meta",
                  hint=OFF_DEVICE)
