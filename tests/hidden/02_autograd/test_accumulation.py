"""Hidden tests for 02_autograd/accumulation: the checks. The scenarios are in
observe_accumulation.py. Oracle: one backward() on the whole batch."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from grader.checks import assert_close, assert_scalar_close, expect, expect_tensor
from grader.observe import scenarios_of

scenes = scenarios_of(__file__)

NOT_SCALED = ("the gradients are micro_batches times too big: divide each micro-batch loss by the "
              "number of micro-batches before backward(), so the sum of the pieces is the mean "
              "over the whole batch")
NOT_ZEROED = ("did not zero the gradients first: backward() adds onto whatever .grad held before. "
              "Call model.zero_grad() once, before the micro-batches")
ZEROED_IN_LOOP = ("only the last micro-batch's gradient is left: the gradients were zeroed inside "
                  "the loop. Zero once, before the first micro-batch")
GENERAL = ("the accumulated gradient should equal one backward() on the whole batch: zero once, "
           "then for each of the micro_batches chunks backward(loss / micro_batches)")


def _oracle(model, loss_fn, x, t):
    """(loss, {name: grad}) of one backward() on the whole batch."""
    model.zero_grad()
    loss = loss_fn(model(x), t)
    loss.backward()
    return loss.item(), {n: p.grad.clone() for n, p in model.named_parameters()}


def _last_chunk_oracle(model, loss_fn, x, t, k):
    _, grads = _oracle(model, loss_fn, x.chunk(k)[-1], t.chunk(k)[-1])
    return {n: g / k for n, g in grads.items()}


def _close(a, b):
    return (a is not None and a.shape == b.shape
            and bool(torch.allclose(a.detach(), b, rtol=1e-5, atol=1e-7)))


def _check_grads(grads, want, *, k, want_last=None, stale=None, what="the gradient"):
    """`grads`: the observed {name: .grad}; `want`: the oracle's, for the same parameters."""
    for name in want:
        g = grads.get(name)
        expect(g is not None,
               f"{what} of {name!r} is None: call backward() on each micro-batch loss")
        expect_tensor(g, f"{what} of {name!r}", shape=tuple(want[name].shape))
    if k > 1 and all(_close(grads[n], want[n] * k) for n in want):
        expect(False, NOT_SCALED)
    if stale is not None and all(_close(grads[n], want[n] + stale[n]) for n in want):
        expect(False, NOT_ZEROED)
    if want_last is not None and k > 1 and all(_close(grads[n], want_last[n]) for n in want):
        expect(False, ZEROED_IN_LOOP)
    for name in want:
        assert_close(grads[name], want[name], what=f"{what} of {name!r}", hint=GENERAL)


@pytest.mark.weight(2)
@pytest.mark.parametrize("n,k", [(8, 2), (12, 4), (10, 5)])
def test_matches_one_big_batch(observed, device, n, k):
    """leaves in .grad exactly what one backward() on the whole batch gives (MSE)"""
    model = scenes.model(1 + n, device=device)
    x, t = scenes.data(n, 4, 3, 2 + n, device=device)
    loss_fn = nn.MSELoss()
    _, want = _oracle(model, loss_fn, x, t)
    want_last = _last_chunk_oracle(model, loss_fn, x, t, k)
    _check_grads(observed, want, k=k, want_last=want_last)


def test_matches_one_big_batch_for_classification(observed):
    """matches the whole batch with cross-entropy and integer class targets"""
    model = scenes.model(3, din=5, dout=4)
    x, t = scenes.data(12, 5, 4, 4, classes=True)
    _, want = _oracle(model, F.cross_entropy, x, t)
    _check_grads(observed, want, k=3,
                 want_last=_last_chunk_oracle(model, F.cross_entropy, x, t, 3))


def test_replaces_old_gradients(observed, device):
    """zeroes gradients left over from before, once, so they do not add into the result"""
    model = scenes.model(5, device=device)
    x, t = scenes.data(8, 4, 3, 6, device=device)
    _, want = _oracle(model, nn.MSELoss(), x, t)
    _check_grads(observed, want, k=4, stale=scenes.stale_grads(model, device),
                 want_last=_last_chunk_oracle(model, nn.MSELoss(), x, t, 4))


def test_works_on_a_fresh_model(observed):
    """works when no parameter has a gradient yet (.grad is None)"""
    model = scenes.model(8)
    expect(all(p.grad is None for p in model.parameters()), "test setup: fresh model")
    x, t = scenes.data(6, 4, 3, 9)
    _, want = _oracle(model, nn.MSELoss(), x, t)
    _check_grads(observed, want, k=3)


@pytest.mark.parametrize("n,k", [(8, 4), (9, 3), (4, 1)])
def test_returns_the_whole_batch_loss(observed, n, k):
    """returns the whole batch's loss as a Python float"""
    model = scenes.model(10 + n)
    x, t = scenes.data(n, 4, 3, 11 + n)
    loss, _ = _oracle(model, nn.MSELoss(), x, t)
    assert_scalar_close(observed, loss, what="the returned loss", rel=1e-6,
                        hint="return the whole batch's loss as a float: the mean of the "
                             "micro-batch losses, i.e. the sum of the scaled losses (add up "
                             "loss.item())")


def test_splits_into_the_given_number_of_micro_batches(observed):
    """runs the model once per micro-batch, on micro_batches pieces of N / micro_batches samples"""
    expect(len(observed) == len(scenes.SPLITS), "not every split was observed")
    for (n, k), sizes in zip(scenes.SPLITS, observed):
        expect(sizes == [n // k] * k,
               f"with N={n} and micro_batches={k} the model ran on batches of sizes {sizes}, "
               f"expected {k} micro-batches of {n // k}. Split with inputs.chunk(micro_batches): "
               "tensor.split(n) takes a chunk size, not a count")


def test_backward_after_each_forward(observed):
    """calls backward() once per micro-batch, right after its forward, freeing each graph"""
    kinds = "".join(observed)
    expect(kinds == "FB" * 4,
           f"forward (F) and backward (B) ran in the order {kinds}, expected {'FB' * 4}: call "
           "backward() on each micro-batch loss before the next forward, so each graph is freed "
           "(summing the losses and calling backward() once keeps every graph in memory)")


def test_keeps_the_mode(observed):
    """leaves the model's train/eval mode as it was (an eval model with dropout stays eval)"""
    model = scenes.model(16, dropout=True).eval()
    x, t = scenes.data(8, 4, 3, 17)
    _, want = _oracle(model, nn.MSELoss(), x, t)
    modes = observed["in_eval"]["modes"]
    expect(len(modes) == len(list(model.modules())) and not any(modes),
           "the model's mode was changed: do not call model.train() or model.eval() here; "
           "accumulation uses the model in whatever mode it was given")
    _check_grads(observed["in_eval"]["grads"], want, k=2)
    expect(observed["train_mode_kept"] is True,
           "the model's mode was changed: a model in train mode must stay in train mode")


def test_changes_nothing_but_grad(observed):
    """does not change the parameters, the inputs or the targets, and leaves autograd on"""
    model = scenes.model(18)
    x, t = scenes.data(8, 4, 3, 19)
    for n, p in model.named_parameters():
        seen = observed["params"][n]
        expect(bool(torch.equal(seen["value"], p.detach())),
               f"parameter {n!r} changed: accumulation only fills .grad; the optimizer step "
               "comes later")
        expect(seen["requires_grad"] is True, f"parameter {n!r} no longer requires grad")
    expect(bool(torch.equal(observed["inputs"], x)) and bool(torch.equal(observed["targets"], t)),
           "the inputs or targets were changed: slice them (chunk) without writing into them")
    expect(observed["grad_enabled"] is True,
           "autograd was left switched off after accumulate_gradients")


def test_float32_model(observed):
    """matches the whole batch for an ordinary float32 model"""
    model = scenes.model(20, dtype=torch.float32)
    x, t = scenes.data(16, 4, 3, 21, dtype=torch.float32)
    _, want = _oracle(model, nn.MSELoss(), x, t)
    for n in want:
        grad = observed.get(n)
        expect(grad is not None,
               f"the gradient of {n!r} is None: call backward() on each micro-batch loss")
        assert_close(grad, want[n], what=f"the float32 gradient of {n!r}", rtol=1e-4, atol=1e-6,
                     hint=GENERAL)
