"""Scenarios for 02_autograd/gradients: they run beside the submission and only observe.

No expected value belongs here (this module is in the submission's process when grading); the
checks are in test_gradients.py, which rebuilds the inputs with the builders below."""

import torch

from grader.checks import explain
from grader.observe import scenario

NO_RETAIN_GRAPH = {r"backward through the graph a second time":
                   "the graph was freed by the first backward(): pass retain_graph=True to the "
                   "first backward() instead of running forward again"}
GRADCHECK_RAISED = {r"GradcheckError|Jacobian mismatch":
                    "gradcheck raised instead of answering: pass raise_exception=False so that a "
                    "wrong gradient gives False"}
NO_GRAD_CALLER = {r"does not require grad|does not have a grad_fn":
                  "autograd was off because the caller is inside torch.no_grad(): wrap the "
                  "forward and backward in torch.enable_grad()"}

FUNCTIONS = {
    "sin_times_x": lambda t: (t.sin() * t).sum(),
    "cube_mean": lambda t: (t ** 3).mean(),
    "logsumexp": lambda t: torch.logsumexp(t.reshape(-1), 0),
}
# gradient_is_correct_leaves_x_alone runs once per dtype, in this order.
GRADCHECK_DTYPES = (torch.float64, torch.float32)


def randn(shape, seed, dtype=torch.float32, device="cpu"):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(shape, generator=g, dtype=dtype).to(device)


def non_leaf_input():
    """(w, x = w * 2): x is part of the caller's graph."""
    w = randn((4,), 8).requires_grad_()
    return w, w * 2


def shared_forward(calls=None):
    """Two losses from one graph; sin and pow save tensors, so a second backward needs
    retain_graph."""
    def forward(t):
        if calls is not None:
            calls.append(1)
        h = t.sin()
        return (h ** 2).sum(), (h * torch.arange(t.numel(), dtype=t.dtype, device=t.device)
                                .reshape(t.shape)).sum()
    return forward


def first_and_second(shape, hidden, seed, device):
    """The two stages of L = second(first(x)) for intermediate_grads_values."""
    w = randn((shape[-1], hidden), seed + 100, device=device)
    return (lambda t: torch.tanh(t @ w)), (lambda h: (h.exp() * h).sum())


class Square(torch.autograd.Function):
    @staticmethod
    def forward(ctx, t):
        ctx.save_for_backward(t)
        return t * t

    @staticmethod
    def backward(ctx, grad_out):
        (t,) = ctx.saved_tensors
        return grad_out * 2 * t


class SquareWrongBackward(Square):
    @staticmethod
    def backward(ctx, grad_out):
        (t,) = ctx.saved_tensors
        return grad_out * t  # forgot the factor 2


def _state(x):
    return {"value": x.detach(), "requires_grad": x.requires_grad, "grad": x.grad,
            "dtype": x.dtype}


# ------------------------------------------------------------------------------- derivative

@scenario
def derivative_values(kata, device, name, shape, seed):
    return kata.derivative(FUNCTIONS[name], randn(shape, seed, device=device))


@scenario
def derivative_keeps_dtype_and_returns_a_plain_gradient(kata):
    return kata.derivative(FUNCTIONS["cube_mean"], randn((4, 2), 5, dtype=torch.float64))


@scenario
def derivative_does_not_change_x(kata):
    x = randn((6,), 6)
    kata.derivative(FUNCTIONS["sin_times_x"], x)
    return _state(x)


@scenario
def derivative_leaves_no_gradient_on_a_leaf_input(kata):
    x = randn((3, 3), 7).requires_grad_()
    first = kata.derivative(FUNCTIONS["cube_mean"], x)
    second = kata.derivative(FUNCTIONS["cube_mean"], x)
    # `first` is read after the second call, to see whether that call changed it.
    return {"first": first, "second": second, "x_grad": x.grad}


@scenario
def derivative_does_not_flow_into_the_callers_graph(kata):
    w, x = non_leaf_input()
    got = kata.derivative(FUNCTIONS["sin_times_x"], x)
    return {"result": got, "w_grad": w.grad}


@scenario
def derivative_works_inside_no_grad(kata):
    x = randn((5,), 9)
    with torch.no_grad():
        with explain(NO_GRAD_CALLER):
            return kata.derivative(FUNCTIONS["sin_times_x"], x)


@scenario
def derivative_keeps_the_device(kata):
    return kata.derivative(lambda t: (t * t).sum(), torch.empty(3, 2, device="meta"))


# --------------------------------------------------------------------------- two_loss_grads

@scenario
def two_loss_grads_values(kata, device, shape, seed):
    x = randn(shape, seed, device=device)
    with explain(NO_RETAIN_GRAPH):
        return kata.two_loss_grads(shared_forward(), x)


@scenario
def two_loss_grads_runs_forward_once(kata):
    calls = []
    x = randn((5,), 12)
    with explain(NO_RETAIN_GRAPH):
        kata.two_loss_grads(shared_forward(calls), x)
    return len(calls)


@scenario
def two_loss_grads_leaves_x_alone(kata):
    x = randn((3, 2), 13, dtype=torch.float64)
    with explain(NO_RETAIN_GRAPH):
        result = kata.two_loss_grads(shared_forward(), x)
    return {"x": _state(x), "result": result}


# ----------------------------------------------------------------------- intermediate_grads

@scenario
def intermediate_grads_values(kata, device, shape, hidden, seed):
    first, second = first_and_second(shape, hidden, seed, device)
    return kata.intermediate_grads(first, second, randn(shape, seed, device=device))


@scenario
def intermediate_grads_leaves_x_alone(kata):
    x = randn((3,), 22)
    result = kata.intermediate_grads(lambda t: t * 3, lambda h: (h ** 2).sum(), x)
    return {"x": _state(x), "result": result}


# ---------------------------------------------------------------------- gradient_is_correct

@scenario
def gradient_is_correct_accepts_a_right_backward_from_float32(kata):
    x = randn((4,), 30)  # float32
    with explain(GRADCHECK_RAISED):
        return kata.gradient_is_correct(Square.apply, x)


@scenario
def gradient_is_correct_rejects_a_wrong_backward(kata):
    x = randn((2, 3), 31, dtype=torch.float64)
    with explain(GRADCHECK_RAISED):
        return kata.gradient_is_correct(SquareWrongBackward.apply, x)


@scenario
def gradient_is_correct_leaves_x_alone(kata):
    states = []
    for dtype in GRADCHECK_DTYPES:
        x = randn((3,), 32, dtype=dtype)
        with explain(GRADCHECK_RAISED):
            kata.gradient_is_correct(torch.sin, x)
        states.append(_state(x))
    return states
