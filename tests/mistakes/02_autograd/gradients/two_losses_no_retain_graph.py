# MISTAKE: calls backward() twice on one graph without retain_graph=True
# FEEDBACK: retain_graph=True
import torch


def derivative(f, x):
    with torch.enable_grad():
        leaf = x.detach().requires_grad_()
        f(leaf).backward()
    return leaf.grad


def two_loss_grads(forward, x):
    leaf = x.detach().requires_grad_()
    loss_a, loss_b = forward(leaf)
    loss_a.backward()
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
