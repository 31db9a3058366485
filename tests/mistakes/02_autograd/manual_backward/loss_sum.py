# MISTAKE: the forward loss sums the squared errors instead of averaging them
# FEEDBACK: the mean over all N*O elements
import torch


def linear_mse_loss(x, W, b, target):
    y = x @ W.T + b
    return ((y - target) ** 2).sum()


def linear_mse_backward(x, W, b, target):
    with torch.no_grad():
        y = x @ W.T + b
        dy = 2 * (y - target) / target.numel()
        dW = dy.T @ x
        db = dy.sum(0)
        dx = dy @ W
    return dW, db, dx
