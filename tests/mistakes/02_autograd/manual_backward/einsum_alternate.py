# ALTERNATE: einsum and explicit residual, with the 2/(N*O) applied at the end, detaching instead of no_grad
import torch


def linear_mse_loss(x, W, b, target):
    return torch.nn.functional.mse_loss(torch.nn.functional.linear(x, W, b), target)


def linear_mse_backward(x, W, b, target):
    x, W, b = x.detach(), W.detach(), b.detach()
    residual = torch.addmm(b, x, W.t()) - target  # (N, O)
    scale = 2.0 / (residual.shape[0] * residual.shape[1])
    dW = torch.einsum("no,ni->oi", residual, x) * scale
    db = residual.sum(dim=0) * scale
    dx = torch.einsum("no,oi->ni", residual, W) * scale
    return (dW, db, dx)
