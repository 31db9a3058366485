# MISTAKE: forgets the factor 2 from the derivative of the square
# FEEDBACK: factor 2
import torch


def linear_mse_loss(x, W, b, target):
    y = x @ W.T + b
    return ((y - target) ** 2).mean()


def linear_mse_backward(x, W, b, target):
    with torch.no_grad():
        y = x @ W.T + b
        dy = (y - target) / target.numel()
        dW = dy.T @ x
        db = dy.sum(0)
        dx = dy @ W
    return dW, db, dx
