# MISTAKE: turns requires_grad off to dodge the in-place error, so the parameter stops learning
# FEEDBACK: no longer requires grad
import torch


def sgd_step(params, lr):
    for p in params:
        if p.grad is None:
            continue
        p.requires_grad_(False)
        p -= lr * p.grad
        p.grad = None
