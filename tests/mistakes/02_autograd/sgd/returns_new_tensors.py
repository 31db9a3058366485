# MISTAKE: returns updated copies instead of changing the parameters in place
# FEEDBACK: returns nothing
import torch


def sgd_step(params, lr):
    updated = []
    with torch.no_grad():
        for p in params:
            if p.grad is None:
                updated.append(p)
                continue
            updated.append(p - lr * p.grad)
            p.grad = None
    return updated
