# ALTERNATE: derivative with torch.func.grad, the second loss differentiated first, clones kept
import torch
from torch.autograd import gradcheck


def derivative(f, x):
    return torch.func.grad(f)(x.detach())


def two_loss_grads(forward, x):
    leaf = x.detach().clone()
    leaf.requires_grad = True
    loss_a, loss_b = forward(leaf)
    loss_b.backward(retain_graph=True)
    grad_b = leaf.grad.clone()
    leaf.grad.zero_()
    loss_a.backward()
    return leaf.grad.clone(), grad_b


def intermediate_grads(first, second, x):
    leaf = x.detach().clone().requires_grad_()
    h = first(leaf)
    h.retain_grad()
    loss = second(h)
    loss.backward()
    return h.grad.detach(), leaf.grad.detach()


def gradient_is_correct(fn, x):
    return bool(gradcheck(fn, x.detach().double().clone().requires_grad_(), raise_exception=False))
