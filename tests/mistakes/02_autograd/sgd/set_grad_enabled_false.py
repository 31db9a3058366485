# MISTAKE: switches autograd off with torch.set_grad_enabled(False) and never switches it back on
# FEEDBACK: autograd was left switched off
import torch


def sgd_step(params, lr):
    torch.set_grad_enabled(False)
    for p in params:
        if p.grad is None:
            continue
        p -= lr * p.grad
        p.grad = None
