# ALTERNATE: zeroes each gradient with p.grad.zero_() instead of setting it to None
import torch


def sgd_step(params, lr):
    with torch.no_grad():
        for p in params:
            if p.grad is not None:
                p.add_(p.grad, alpha=-lr)
                p.grad.zero_()
