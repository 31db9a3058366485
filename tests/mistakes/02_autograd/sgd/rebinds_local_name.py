# MISTAKE: writes `p = p - lr * p.grad`, which rebinds the loop variable and leaves the parameter unchanged
# FEEDBACK: only rebinds a local name
import torch


def sgd_step(params, lr):
    with torch.no_grad():
        for p in params:
            if p.grad is None:
                continue
            p = p - lr * p.grad
            p.grad = None
