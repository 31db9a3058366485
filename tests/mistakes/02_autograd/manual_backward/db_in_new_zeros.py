# MISTAKE: builds db in a fresh torch.zeros(O), which is float32 on the CPU whatever the inputs are
# FEEDBACK: with the inputs' dtype and device
import torch


def linear_mse_loss(x, W, b, target):
    y = x @ W.T + b
    return ((y - target) ** 2).mean()


def linear_mse_backward(x, W, b, target):
    with torch.no_grad():
        y = x @ W.T + b
        dy = 2 * (y - target) / target.numel()
        db = torch.zeros(W.shape[0])
        for row in dy:
            db += row
        return dy.T @ x, db, dy @ W
