# ALTERNATE: computes the loss and gradients with matmul/transpose spelled differently
import torch


def linear_mse_loss(x, W, b, target):
    diff = torch.addmm(b, x, W.T) - target
    return (diff * diff).sum() / diff.numel()


def linear_mse_backward(x, W, b, target):
    with torch.no_grad():
        n, o = target.shape
        y = torch.matmul(x, W.transpose(0, 1)) + b.unsqueeze(0)
        dy = (y - target).mul(2).div(n * o)
        dW = torch.matmul(dy.transpose(0, 1), x)
        db = dy.sum(dim=0, keepdim=True).squeeze(0)
        dx = torch.matmul(dy, W)
    return dW, db, dx
