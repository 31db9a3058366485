# MISTAKE: reuses the target tensor for the residual with in-place ops, overwriting the caller's target
# FEEDBACK: target was changed
import torch


def linear_mse_loss(x, W, b, target):
    y = x @ W.T + b
    return ((y - target) ** 2).mean()


def linear_mse_backward(x, W, b, target):
    with torch.no_grad():
        dy = target.neg_().add_(x @ W.T + b).mul_(2 / target.numel())
        return dy.T @ x, dy.sum(0), dy @ W
