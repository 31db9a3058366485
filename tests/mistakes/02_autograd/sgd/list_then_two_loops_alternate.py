# ALTERNATE: materialises the parameters into a list first, then updates and clears in two loops
import torch


def sgd_step(params, lr):
    params = [p for p in params if p.grad is not None]
    with torch.no_grad():
        for p in params:
            p.copy_(p - lr * p.grad)
    for p in params:
        p.grad = None
