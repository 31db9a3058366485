# MISTAKE: switches requires_grad on for the caller's tensors and calls backward() on them
# FEEDBACK: now requires grad
import torch


def linear_mse_loss(x, W, b, target):
    y = x @ W.T + b
    return ((y - target) ** 2).mean()


def linear_mse_backward(x, W, b, target):
    for v in (x, W, b):
        v.requires_grad_()
    linear_mse_loss(x, W, b, target).backward()
    return W.grad, b.grad, x.grad
