"""Hidden tests for 02_autograd/accumulation. Oracle: one backward() on the whole batch."""

import copy

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from grader.checks import assert_close, assert_scalar_close, expect, expect_tensor, manual_seed

NOT_SCALED = ("the gradients are micro_batches times too big: divide each micro-batch loss by the "
              "number of micro-batches before backward(), so the sum of the pieces is the mean "
              "over the whole batch")
NOT_ZEROED = ("did not zero the gradients first: backward() adds onto whatever .grad held before. "
              "Call model.zero_grad() once, before the micro-batches")
ZEROED_IN_LOOP = ("only the last micro-batch's gradient is left: the gradients were zeroed inside "
                  "the loop. Zero once, before the first micro-batch")
GENERAL = ("the accumulated gradient should equal one backward() on the whole batch: zero once, "
           "then for each of the micro_batches chunks backward(loss / micro_batches)")


def _model(seed, din=4, dout=3, dropout=False, dtype=torch.float64, device="cpu"):
    manual_seed(seed)
    layers = [nn.Linear(din, 8), nn.Tanh()] + ([nn.Dropout(0.5)] if dropout else []) + [nn.Linear(8, dout)]
    return nn.Sequential(*layers).to(device=device, dtype=dtype)


def _data(n, din, dout, seed, classes=False, dtype=torch.float64, device="cpu"):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, din, generator=g, dtype=dtype)
    t = torch.randint(0, dout, (n,), generator=g) if classes else torch.randn(n, dout, generator=g, dtype=dtype)
    return x.to(device), t.to(device)


def _oracle(model, loss_fn, x, t):
    """(loss, {name: grad}) of one backward() on the whole batch, on a copy of the model."""
    twin = copy.deepcopy(model)
    twin.zero_grad()
    loss = loss_fn(twin(x), t)
    loss.backward()
    return loss.item(), {n: p.grad.clone() for n, p in twin.named_parameters()}


def _close(a, b):
    return a is not None and a.shape == b.shape and bool(torch.allclose(a.detach(), b, rtol=1e-5, atol=1e-7))


def _check_grads(model, want, *, k, want_last=None, prefill=None, what="the gradient"):
    grads = {n: p.grad for n, p in model.named_parameters()}
    for name, g in grads.items():
        expect(g is not None, f"{what} of {name!r} is None: call backward() on each micro-batch loss")
        expect_tensor(g, f"{what} of {name!r}", shape=tuple(want[name].shape))
    if k > 1 and all(_close(grads[n], want[n] * k) for n in want):
        expect(False, NOT_SCALED)
    if prefill is not None and all(_close(grads[n], want[n] + prefill[n]) for n in want):
        expect(False, NOT_ZEROED)
    if want_last is not None and k > 1 and all(_close(grads[n], want_last[n]) for n in want):
        expect(False, ZEROED_IN_LOOP)
    for name in want:
        assert_close(grads[name], want[name], what=f"{what} of {name!r}", hint=GENERAL)


def _last_chunk_oracle(model, loss_fn, x, t, k):
    _, grads = _oracle(model, loss_fn, x.chunk(k)[-1], t.chunk(k)[-1])
    return {n: g / k for n, g in grads.items()}


def _recorder(model):
    """Logs ('F', batch size) for each forward and 'B' for each backward reaching the first weight."""
    events = []
    model.register_forward_hook(lambda mod, args, out: events.append(("F", int(args[0].shape[0]))))
    first = next(model.parameters())
    first.register_hook(lambda grad: events.append(("B", 0)))
    return events


@pytest.mark.weight(2)
@pytest.mark.parametrize("n,k", [(8, 2), (12, 4), (10, 5)])
def test_matches_one_big_batch(kata, device, n, k):
    """leaves in .grad exactly what one backward() on the whole batch gives (MSE)"""
    model = _model(1 + n, device=device)
    x, t = _data(n, 4, 3, 2 + n, device=device)
    loss_fn = nn.MSELoss()
    _, want = _oracle(model, loss_fn, x, t)
    want_last = _last_chunk_oracle(model, loss_fn, x, t, k)
    kata.accumulate_gradients(model, loss_fn, x, t, k)
    _check_grads(model, want, k=k, want_last=want_last)


def test_matches_one_big_batch_for_classification(kata):
    """matches the whole batch with cross-entropy and integer class targets"""
    model = _model(3, din=5, dout=4)
    x, t = _data(12, 5, 4, 4, classes=True)
    _, want = _oracle(model, F.cross_entropy, x, t)
    kata.accumulate_gradients(model, F.cross_entropy, x, t, 3)
    _check_grads(model, want, k=3, want_last=_last_chunk_oracle(model, F.cross_entropy, x, t, 3))


def test_replaces_old_gradients(kata, device):
    """zeroes gradients left over from before, once, so they do not add into the result"""
    model = _model(5, device=device)
    x, t = _data(8, 4, 3, 6, device=device)
    _, want = _oracle(model, nn.MSELoss(), x, t)
    g = torch.Generator().manual_seed(7)
    prefill = {n: (torch.randn(p.shape, generator=g, dtype=p.dtype) * 10).to(device)
               for n, p in model.named_parameters()}
    for n, p in model.named_parameters():
        p.grad = prefill[n].clone()
    kata.accumulate_gradients(model, nn.MSELoss(), x, t, 4)
    _check_grads(model, want, k=4, prefill=prefill,
                 want_last=_last_chunk_oracle(model, nn.MSELoss(), x, t, 4))


def test_works_on_a_fresh_model(kata):
    """works when no parameter has a gradient yet (.grad is None)"""
    model = _model(8)
    x, t = _data(6, 4, 3, 9)
    _, want = _oracle(model, nn.MSELoss(), x, t)
    expect(all(p.grad is None for p in model.parameters()), "test setup: fresh model")
    kata.accumulate_gradients(model, nn.MSELoss(), x, t, 3)
    _check_grads(model, want, k=3)


@pytest.mark.parametrize("n,k", [(8, 4), (9, 3), (4, 1)])
def test_returns_the_whole_batch_loss(kata, n, k):
    """returns the whole batch's loss as a Python float"""
    model = _model(10 + n)
    x, t = _data(n, 4, 3, 11 + n)
    loss, _ = _oracle(model, nn.MSELoss(), x, t)
    got = kata.accumulate_gradients(model, nn.MSELoss(), x, t, k)
    assert_scalar_close(got, loss, what="the returned loss", rel=1e-6,
                        hint="return the whole batch's loss as a float: the mean of the micro-batch "
                             "losses, i.e. the sum of the scaled losses (add up loss.item())")


def test_splits_into_the_given_number_of_micro_batches(kata):
    """runs the model once per micro-batch, on micro_batches pieces of N / micro_batches samples"""
    for n, k in ((12, 3), (8, 2), (6, 6)):
        model = _model(12)
        x, t = _data(n, 4, 3, 13)
        events = _recorder(model)
        kata.accumulate_gradients(model, nn.MSELoss(), x, t, k)
        sizes = [size for kind, size in events if kind == "F"]
        expect(sizes == [n // k] * k,
               f"with N={n} and micro_batches={k} the model ran on batches of sizes {sizes}, expected "
               f"{k} micro-batches of {n // k}. Split with inputs.chunk(micro_batches): "
               "tensor.split(n) takes a chunk size, not a count")


def test_backward_after_each_forward(kata):
    """calls backward() once per micro-batch, right after its forward, freeing each graph"""
    model = _model(14)
    x, t = _data(8, 4, 3, 15)
    events = _recorder(model)
    kata.accumulate_gradients(model, nn.MSELoss(), x, t, 4)
    kinds = "".join(kind for kind, _ in events)
    expect(kinds == "FB" * 4,
           f"forward (F) and backward (B) ran in the order {kinds}, expected {'FB' * 4}: call "
           "backward() on each micro-batch loss before the next forward, so each graph is freed "
           "(summing the losses and calling backward() once keeps every graph in memory)")


def test_keeps_the_mode(kata):
    """leaves the model's train/eval mode as it was (an eval model with dropout stays eval)"""
    model = _model(16, dropout=True).eval()
    x, t = _data(8, 4, 3, 17)
    _, want = _oracle(model, nn.MSELoss(), x, t)
    kata.accumulate_gradients(model, nn.MSELoss(), x, t, 2)
    expect(not model.training and not any(m.training for m in model.modules()),
           "the model's mode was changed: do not call model.train() or model.eval() here; "
           "accumulation uses the model in whatever mode it was given")
    _check_grads(model, want, k=2)
    model.train()
    kata.accumulate_gradients(model, nn.MSELoss(), x, t, 2)
    expect(model.training, "the model's mode was changed: a model in train mode must stay in train mode")


def test_changes_nothing_but_grad(kata):
    """does not change the parameters, the inputs or the targets, and leaves autograd on"""
    model = _model(18)
    x, t = _data(8, 4, 3, 19)
    params = {n: p.detach().clone() for n, p in model.named_parameters()}
    x0, t0 = x.clone(), t.clone()
    kata.accumulate_gradients(model, nn.MSELoss(), x, t, 2)
    for n, p in model.named_parameters():
        expect(bool(torch.equal(p.detach(), params[n])),
               f"parameter {n!r} changed: accumulation only fills .grad; the optimizer step comes later")
        expect(p.requires_grad, f"parameter {n!r} no longer requires grad")
    expect(bool(torch.equal(x, x0)) and bool(torch.equal(t, t0)),
           "the inputs or targets were changed: slice them (chunk) without writing into them")
    expect(torch.is_grad_enabled(), "autograd was left switched off after accumulate_gradients")


def test_float32_model(kata):
    """matches the whole batch for an ordinary float32 model"""
    model = _model(20, dtype=torch.float32)
    x, t = _data(16, 4, 3, 21, dtype=torch.float32)
    _, want = _oracle(model, nn.MSELoss(), x, t)
    kata.accumulate_gradients(model, nn.MSELoss(), x, t, 4)
    for n, p in model.named_parameters():
        expect(p.grad is not None, f"the gradient of {n!r} is None: call backward() on each micro-batch loss")
        assert_close(p.grad, want[n], what=f"the float32 gradient of {n!r}", rtol=1e-4, atol=1e-6,
                     hint=GENERAL)
