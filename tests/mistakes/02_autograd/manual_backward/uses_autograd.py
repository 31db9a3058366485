# MISTAKE: calls autograd instead of deriving the backward by hand
# FEEDBACK: written by hand
import torch


def linear_mse_loss(x, W, b, target):
    y = x @ W.T + b
    return ((y - target) ** 2).mean()


def linear_mse_backward(x, W, b, target):
    x, W, b = (v.detach().clone().requires_grad_() for v in (x, W, b))
    with torch.enable_grad():
        loss = linear_mse_loss(x, W, b, target)
        dW, db, dx = torch.autograd.grad(loss, [W, b, x])
    return dW, db, dx
