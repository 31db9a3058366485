# MISTAKE: adds the gradient instead of subtracting it (gradient ascent)
# FEEDBACK: add instead of subtract
import torch


def sgd_step(params, lr):
    with torch.no_grad():
        for p in params:
            if p.grad is None:
                continue
            p += lr * p.grad
            p.grad = None
