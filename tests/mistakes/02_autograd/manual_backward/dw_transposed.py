# MISTAKE: computes dW as x.T @ dy, the transpose of W's shape
# FEEDBACK: dy.T @ x, not x.T @ dy
import torch


def linear_mse_loss(x, W, b, target):
    y = x @ W.T + b
    return ((y - target) ** 2).mean()


def linear_mse_backward(x, W, b, target):
    with torch.no_grad():
        y = x @ W.T + b
        dy = 2 * (y - target) / target.numel()
        dW = x.T @ dy
        db = dy.sum(0)
        dx = dy @ W
    return dW, db, dx
