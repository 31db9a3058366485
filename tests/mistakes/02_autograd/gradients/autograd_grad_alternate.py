# ALTERNATE: uses torch.autograd.grad everywhere instead of backward() and .grad
import torch


def derivative(f, x):
    with torch.enable_grad():
        leaf = x.detach().clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(f(leaf), [leaf])
    return grad


def two_loss_grads(forward, x):
    leaf = x.detach().clone().requires_grad_(True)
    loss_a, loss_b = forward(leaf)
    (grad_b,) = torch.autograd.grad(loss_b, leaf, retain_graph=True)
    (grad_a,) = torch.autograd.grad(loss_a, leaf)
    return (grad_a, grad_b)


def intermediate_grads(first, second, x):
    leaf = x.detach().clone().requires_grad_(True)
    h = first(leaf)
    grad_h, grad_x = torch.autograd.grad(second(h), [h, leaf])
    return grad_h, grad_x


def gradient_is_correct(fn, x):
    inputs = (x.detach().clone().double().requires_grad_(),)
    try:
        return torch.autograd.gradcheck(fn, inputs, eps=1e-6, atol=1e-5)
    except RuntimeError:  # GradcheckError is a RuntimeError
        return False
