"""Hidden tests for 02_autograd/gradients: the checks. The scenarios are in
observe_gradients.py."""

import pytest
import torch

from grader.checks import assert_close, expect, expect_tensor, expect_type
from grader.observe import scenarios_of

scenes = scenarios_of(__file__)

MUTATED = ("changed the caller's tensor: make your own leaf with x.detach().requires_grad_() "
           "instead of calling requires_grad_() on x (note x.double() is x itself when x is "
           "float64)")


def _oracle(f, x):
    leaf = x.detach().clone().requires_grad_()
    (grad,) = torch.autograd.grad(f(leaf), leaf)
    return grad


def _oracle_two(x):
    leaf = x.detach().clone().requires_grad_()
    a, b = scenes.shared_forward()(leaf)
    ga, = torch.autograd.grad(a, leaf, retain_graph=True)
    gb, = torch.autograd.grad(b, leaf)
    return ga, gb


def _untouched(state, dtype=None):
    """Whether the observed caller's tensor still does not require grad, has no .grad and (when
    `dtype` is given) kept that dtype."""
    return (state["requires_grad"] is False and state["grad"] is None
            and (dtype is None or state["dtype"] == dtype))


# ------------------------------------------------------------------------------- derivative

@pytest.mark.parametrize("name,shape,seed", [("sin_times_x", (5,), 1), ("cube_mean", (3, 4), 2),
                                             ("logsumexp", (2, 3, 2), 3), ("sin_times_x", (), 4)])
def test_derivative_values(observed, device, name, shape, seed):
    """derivative returns df/dx at x for several functions and shapes"""
    x = scenes.randn(shape, seed, device=device)
    assert_close(observed, _oracle(scenes.FUNCTIONS[name], x),
                 what=f"the derivative of {name} at x of shape {tuple(shape)}",
                 hint="derivative should return x.grad after f(x).backward() on a leaf copy of x, "
                      "with x's shape, dtype and device")


def test_derivative_keeps_dtype_and_returns_a_plain_gradient(observed):
    """derivative keeps float64 and returns a tensor that does not require grad"""
    x = scenes.randn((4, 2), 5, dtype=torch.float64)
    expect_tensor(observed, "the derivative", shape=(4, 2), dtype=torch.float64,
                  requires_grad=False,
                  hint="return the gradient itself (x.grad, or torch.autograd.grad without "
                       "create_graph), in x's dtype")
    assert_close(observed, _oracle(scenes.FUNCTIONS["cube_mean"], x),
                 what="the float64 derivative")


def test_derivative_does_not_change_x(observed):
    """derivative leaves x as it was: values, requires_grad, and no .grad"""
    expect(_untouched(observed), MUTATED)
    expect(bool(torch.equal(observed["value"], scenes.randn((6,), 6))),
           "the values of x were changed: do not update x in place")


def test_derivative_leaves_no_gradient_on_a_leaf_input(observed):
    """derivative of a leaf that requires grad leaves its .grad alone, so calls do not accumulate"""
    want = _oracle(scenes.FUNCTIONS["cube_mean"], scenes.randn((3, 3), 7))
    expect(observed["x_grad"] is None,
           "left a gradient in x.grad: the caller's tensor was used as the leaf. Work on "
           "x.detach().requires_grad_(), so repeated calls do not accumulate into x.grad")
    assert_close(observed["second"], want, what="the derivative on a second call",
                 hint="gradients accumulated across calls: backward() adds into .grad")
    assert_close(observed["first"], want, what="the derivative on the first call",
                 hint="the first result changed after a second call: it shares memory with a "
                      "gradient that was later updated")


def test_derivative_does_not_flow_into_the_callers_graph(observed):
    """derivative of a non-leaf x does not backpropagate into the graph x came from"""
    _, x = scenes.non_leaf_input()
    expect(observed["w_grad"] is None,
           "backpropagated into the caller's graph: a gradient reached the tensor x was computed "
           "from. Detach x first (x.detach().requires_grad_()) so only f is differentiated")
    assert_close(observed["result"], _oracle(scenes.FUNCTIONS["sin_times_x"], x),
                 what="the derivative at a non-leaf x",
                 hint="derivative should be df/dx at x, whatever x was computed from")


def test_derivative_works_inside_no_grad(observed):
    """derivative works when the caller is inside torch.no_grad()"""
    x = scenes.randn((5,), 9)
    expect(observed is not None,
           "derivative returned None under torch.no_grad(): use torch.enable_grad()")
    assert_close(observed, _oracle(scenes.FUNCTIONS["sin_times_x"], x),
                 what="the derivative under no_grad",
                 hint="compute the gradient inside torch.enable_grad()")


def test_derivative_keeps_the_device(observed):
    """derivative works on the meta device and returns a gradient there"""
    expect_tensor(observed, "the derivative of a meta tensor", shape=(3, 2), device="meta",
                  hint="the gradient was moved off x's device: do not create tensors on a fixed "
                       "device")


# --------------------------------------------------------------------------- two_loss_grads

@pytest.mark.parametrize("shape,seed", [((4,), 10), ((2, 3), 11)])
def test_two_loss_grads_values(observed, device, shape, seed):
    """two_loss_grads returns the gradient of each loss separately"""
    want_a, want_b = _oracle_two(scenes.randn(shape, seed, device=device))
    expect_type(observed, tuple, "two_loss_grads' result", hint="return a tuple (grad_a, grad_b)")
    expect(len(observed) == 2, "two_loss_grads should return two gradients, (grad_a, grad_b)")
    got_a, got_b = observed
    expect_tensor(got_a, "the first gradient", shape=tuple(shape), device=device)
    if not bool(got_a.ne(0).any()) and bool(want_a.ne(0).any()):
        expect(False, "the first gradient is all zeros: it was zeroed in place after you kept it "
                      "(x.grad.zero_()). Keep a clone, or set x.grad = None instead")
    expect_tensor(got_b, "the second gradient", shape=tuple(shape), device=device)
    if (bool(torch.equal(got_a.detach(), got_b.detach()))
            and not bool(torch.allclose(want_a, want_b))):
        expect(False, "both gradients are the same tensor: the first was kept as x.grad, then "
                      "zeroed in place (x.grad.zero_()) and refilled by the second backward(). "
                      "Keep a clone, or set x.grad = None instead")
    assert_close(got_a, want_a, what="the gradient of the first loss",
                 hint="the first gradient should be d loss_a / dx alone")
    if bool(torch.allclose(got_b.detach(), want_a + want_b)):
        expect(False, "the second gradient adds onto the first: backward() accumulates into "
                      ".grad, so clear it (x.grad = None) between the two backward() calls")
    assert_close(got_b, want_b, what="the gradient of the second loss",
                 hint="the second gradient should be d loss_b / dx alone")


def test_two_loss_grads_runs_forward_once(observed):
    """two_loss_grads calls forward exactly once and uses retain_graph"""
    expect(observed == 1,
           f"forward was called {observed} times: run forward only once, and keep its graph "
           "for the second backward() with retain_graph=True")


def test_two_loss_grads_leaves_x_alone(observed):
    """two_loss_grads does not change x and returns gradients that do not require grad"""
    got_a, got_b = observed["result"]
    expect(_untouched(observed["x"]), MUTATED)
    for what, got in (("the first gradient", got_a), ("the second gradient", got_b)):
        expect_tensor(got, what, dtype=torch.float64, requires_grad=False,
                      hint="return plain gradients in x's dtype")


# ----------------------------------------------------------------------- intermediate_grads

@pytest.mark.parametrize("shape,hidden,seed", [((4,), 3, 20), ((2, 5), 4, 21)])
def test_intermediate_grads_values(observed, device, shape, hidden, seed):
    """intermediate_grads returns dL/dh for the non-leaf h and dL/dx"""
    first, second = scenes.first_and_second(shape, hidden, seed, device)
    leaf = scenes.randn(shape, seed, device=device).requires_grad_()
    h = first(leaf)
    want_h, want_x = torch.autograd.grad(second(h), [h, leaf])
    expect_type(observed, tuple, "intermediate_grads' result",
                hint="return a tuple (dL/dh, dL/dx)")
    expect(len(observed) == 2, "intermediate_grads should return two gradients, (dL/dh, dL/dx)")
    got_h, got_x = observed
    expect(got_h is not None,
           "the gradient of h is None: a non-leaf tensor keeps .grad only if you call "
           "h.retain_grad() before backward()")
    assert_close(got_h, want_h, what="dL/dh", hint="dL/dh should have h's shape and values")
    expect(got_x is not None,
           "the gradient of x is None: the graph from x to the loss was cut (a detach() or a new "
           "leaf in between); compute h = first(leaf) directly")
    assert_close(got_x, want_x, what="dL/dx", hint="dL/dx should flow through h back to x")


def test_intermediate_grads_leaves_x_alone(observed):
    """intermediate_grads does not change x and returns plain gradients"""
    x = scenes.randn((3,), 22)
    got_h, got_x = observed["result"]
    expect(_untouched(observed["x"]), MUTATED)
    expect(got_h is not None, "the gradient of h is None: call h.retain_grad() before backward()")
    expect_tensor(got_h, "dL/dh", shape=(3,), requires_grad=False)
    expect_tensor(got_x, "dL/dx", shape=(3,), requires_grad=False)
    assert_close(got_x, 18 * x, what="dL/dx for L = sum((3x)^2)")


# ---------------------------------------------------------------------- gradient_is_correct

@pytest.mark.weight(2)
def test_gradient_is_correct_accepts_a_right_backward_from_float32(observed):
    """gradient_is_correct says True for a correct backward, even given a float32 x"""
    expect_type(observed, bool, "gradient_is_correct's answer", hint="return gradcheck's bool")
    expect(observed, "a correct backward was reported wrong: gradcheck needs float64 inputs "
                     "(float32 is too coarse for its finite differences); convert x with "
                     ".to(torch.float64)")


def test_gradient_is_correct_rejects_a_wrong_backward(observed):
    """gradient_is_correct says False (without raising) for a wrong backward"""
    expect_type(observed, bool, "gradient_is_correct's answer", hint="return gradcheck's bool")
    expect(not observed, "a wrong backward was reported correct: run torch.autograd.gradcheck "
                         "on fn")


def test_gradient_is_correct_leaves_x_alone(observed):
    """gradient_is_correct does not change x, even when x is already float64"""
    expect(len(observed) == len(scenes.GRADCHECK_DTYPES), "not every call was observed")
    for dtype, state in zip(scenes.GRADCHECK_DTYPES, observed):
        expect(_untouched(state, dtype), MUTATED)
        expect(bool(torch.equal(state["value"], scenes.randn((3,), 32, dtype=dtype))),
               "the values of x were changed by the check")
