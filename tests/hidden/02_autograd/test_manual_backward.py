"""Hidden tests for 02_autograd/manual_backward: the checks. The scenarios are in
observe_manual_backward.py. Oracle: autograd on the same forward, in float64."""

import pytest
import torch
import torch.nn.functional as F

from grader.checks import assert_close, expect, expect_tensor, expect_type
from grader.observe import scenarios_of

scenes = scenarios_of(__file__)

SHAPES = [(4, 3, 2), (1, 5, 5), (7, 2, 6), (3, 1, 1)]  # (N, I, O)


def _oracle(x, W, b, t, bias=True):
    x, W, b = (v.detach().clone().requires_grad_() for v in (x, W, b))
    y = F.linear(x, W, b if bias else None)
    return torch.autograd.grad(F.mse_loss(y, t), [W, b, x], allow_unused=True)


def _gradients(result):
    """linear_mse_backward's observed result, checked to be a tuple (dW, db, dx)."""
    expect_type(result, tuple, "linear_mse_backward's result", hint="return a tuple (dW, db, dx)")
    expect(len(result) == 3, "linear_mse_backward should return three gradients, (dW, db, dx)")
    return result


def _close(a, b):
    return a.shape == b.shape and bool(torch.allclose(a.detach().cpu().double(),
                                                      b.cpu().double(), rtol=1e-6, atol=1e-9))


def _diagnose(got, want, name, n, o, want_no_bias):
    """The likely mistake when a gradient is a known transformation of the right one."""
    if got.shape != want.shape:
        return None
    if want_no_bias is not None and _close(got, want_no_bias):
        return f"{name} is what you get without the bias: the forward pass is y = x @ W.T + b"
    if _close(got, -want):
        return f"{name} has the wrong sign: dL/dy = 2 (y - target) / (N*O), prediction minus target"
    if _close(got, want / 2):
        return f"{name} is half the right value: the derivative of the square brings a factor 2"
    if o > 1 and _close(got, want * o):
        return (f"{name} is O times too big: the mean is over all N*O elements, so divide by "
                "N*O (target.numel()), not by the batch size N")
    if n > 1 and _close(got, want * n):
        return f"{name} is N times too big: the mean is over all N*O elements, divide by N*O"
    if n > 1 and name == "db" and _close(got, want / n):
        return ("db is averaged over the batch: b is broadcast to every row, so its gradients "
                "are summed over the batch (the 1/(N*O) is already in dL/dy)")
    return None


@pytest.mark.parametrize("n,i,o", [(4, 3, 2), (6, 1, 3)])
def test_loss_values(observed, n, i, o):
    """linear_mse_loss equals mse_loss(linear(x, W, b), target) as a 0-dim tensor"""
    x, W, b, t = scenes.inputs(n, i, o, 1 + n)
    assert_close(observed, F.mse_loss(F.linear(x, W, b), t), what="the loss",
                 hint="the loss is the mean over all N*O elements of (x @ W.T + b - target)^2, a "
                      "0-dim tensor in the inputs' dtype")


@pytest.mark.weight(2)
@pytest.mark.parametrize("n,i,o", SHAPES)
def test_gradients_match_autograd(observed, n, i, o):
    """dW, db and dx equal autograd's gradients (float64) for several shapes"""
    x, W, b, t = scenes.inputs(n, i, o, 10 + n + i + o)
    want = _oracle(x, W, b, t)
    no_bias = _oracle(x, W, b, t, bias=False)
    got = _gradients(observed)
    hints = {"dW": "dW = dy.T @ x, with W's shape (O, I)",
             "db": "db = dy summed over the batch dimension, with b's shape (O,)",
             "dx": "dx = dy @ W, with x's shape (N, I)"}
    for index, name in enumerate(("dW", "db", "dx")):
        expect_tensor(got[index], name, shape=tuple(want[index].shape),
                      hint=f"a gradient has the shape of its tensor: {hints[name]} "
                           "(check the transposes and which dimension you reduce)")
        guess = _diagnose(got[index], want[index], name, n, o,
                          no_bias[index] if name != "db" else None)
        expect(guess is None, guess or "")
        assert_close(got[index], want[index], what=f"{name} for N={n}, I={i}, O={o}",
                     hint=f"{hints[name]}, where dy = 2 (y - target) / (N*O)")


def test_shapes_when_inputs_and_outputs_differ(observed):
    """returns dW (O, I), db (O,), dx (N, I) when N, I and O all differ"""
    dW, db, dx = _gradients(observed)
    expect_tensor(dW, "dW", shape=(3, 4), hint="dW has W's shape (O, I): dy.T @ x, not x.T @ dy")
    expect_tensor(db, "db", shape=(3,),
                  hint="db has b's shape (O,): sum dy over the batch (dim 0) only")
    expect_tensor(dx, "dx", shape=(5, 4), hint="dx has x's shape (N, I): dy @ W")


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_keeps_the_dtype(observed, dtype):
    """the gradients keep the inputs' dtype"""
    want = _oracle(*scenes.inputs(3, 2, 4, 21, dtype=dtype))
    got = _gradients(observed)
    for index, name in enumerate(("dW", "db", "dx")):
        assert_close(got[index], want[index], what=f"{name} in {dtype}",
                     hint="create any new tensor with the inputs' dtype and device "
                          "(torch.zeros_like, dtype=x.dtype), or better, build everything from dy")


def test_plain_gradients_for_parameters(observed):
    """returns gradients that do not require grad when W and b are parameters, leaving W.grad alone"""
    want = _oracle(*scenes.inputs(4, 3, 2, 22))
    got = _gradients(observed["result"])
    for index, name in enumerate(("dW", "db", "dx")):
        expect_tensor(got[index], name, requires_grad=False,
                      hint=f"{name} carries an autograd graph: compute the backward inside "
                           "torch.no_grad() so no graph is recorded")
        assert_close(got[index], want[index], what=name)
    expect(observed["W_grad"] is None and observed["b_grad"] is None,
           "W.grad or b.grad was filled: the backward must be computed by hand, not by "
           "calling backward() on the caller's tensors")


def test_does_not_change_the_inputs(observed):
    """leaves x, W, b and target unchanged, and not requiring grad"""
    before = scenes.inputs(3, 3, 3, 23)
    expect(len(observed) == len(before), "not every input was observed")
    for name, now, was in zip(("x", "W", "b", "target"), observed, before):
        expect(bool(torch.equal(now["value"], was)),
               f"{name} was changed: an in-place operation (-=, .sub_, .t_()) wrote into an input; "
               "use out-of-place operations")
        expect(now["requires_grad"] is False and now["grad"] is None,
               f"{name} now requires grad: you switched autograd on for the caller's tensor. "
               "Derive the gradients by hand instead")


@pytest.mark.weight(2)
def test_written_by_hand(observed):
    """works inside torch.inference_mode(): the backward is hand-written, not autograd"""
    expect(len(observed) == 2, "not every call was observed")
    for args, result in zip((scenes.inputs(4, 3, 2, 24), scenes.inputs(3, 2, 5, 27)), observed):
        want = _oracle(*args)
        got = _gradients(result)
        for index, name in enumerate(("dW", "db", "dx")):
            assert_close(got[index], want[index], what=f"{name} computed in inference mode",
                         hint=scenes.BY_HAND)


def test_works_inside_no_grad(observed):
    """the backward works when called inside torch.no_grad()"""
    want = _oracle(*scenes.inputs(2, 3, 4, 25))
    got = _gradients(observed)
    for index, name in enumerate(("dW", "db", "dx")):
        assert_close(got[index], want[index], what=f"{name} under torch.no_grad()")


def test_keeps_the_device(observed):
    """keeps the inputs' device (checked on the meta device)"""
    dW, db, dx = _gradients(observed)
    for name, value, shape in (("dW", dW, (3, 2)), ("db", db, (3,)), ("dx", dx, (5, 2))):
        expect_tensor(value, name, shape=shape, device="meta",
                      hint="a gradient was created on another device: build every tensor from the "
                           "inputs (or pass device=x.device), never on a fixed device")


@pytest.mark.gpu
def test_gradients_on_cuda(observed):
    """computes the gradients on the GPU, matching autograd there"""
    want = _oracle(*scenes.inputs(6, 4, 3, 26, device="cuda"))
    got = _gradients(observed)
    for index, name in enumerate(("dW", "db", "dx")):
        assert_close(got[index], want[index], what=f"{name} on cuda")
