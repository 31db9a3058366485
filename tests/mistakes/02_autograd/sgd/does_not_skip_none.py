# MISTAKE: does not skip parameters whose .grad is None, so lr * None raises a TypeError
# FEEDBACK: .grad None (skip it)
import torch


def sgd_step(params, lr):
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad
            p.grad = None
