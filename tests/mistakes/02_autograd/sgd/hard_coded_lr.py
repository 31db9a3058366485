# MISTAKE: uses a fixed learning rate of 0.01 instead of the lr argument
# FEEDBACK: the lr passed in
import torch


def sgd_step(params, lr):
    with torch.no_grad():
        for p in params:
            if p.grad is None:
                continue
            p -= 0.01 * p.grad
            p.grad = None
