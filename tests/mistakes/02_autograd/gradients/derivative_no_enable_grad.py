# MISTAKE: does not switch autograd on, so derivative fails when called inside torch.no_grad()
# FEEDBACK: torch.enable_grad()
import torch


def derivative(f, x):
    leaf = x.detach().requires_grad_()
    f(leaf).backward()
    return leaf.grad


def two_loss_grads(forward, x):
    leaf = x.detach().requires_grad_()
    loss_a, loss_b = forward(leaf)
    loss_a.backward(retain_graph=True)
    grad_a = leaf.grad
    leaf.grad = None
    loss_b.backward()
    return grad_a, leaf.grad


def intermediate_grads(first, second, x):
    leaf = x.detach().requires_grad_()
    h = first(leaf)
    h.retain_grad()
    second(h).backward()
    return h.grad, leaf.grad


def gradient_is_correct(fn, x):
    leaf = x.detach().to(torch.float64).requires_grad_()
    return torch.autograd.gradcheck(fn, (leaf,), raise_exception=False)
