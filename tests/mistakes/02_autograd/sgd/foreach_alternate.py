# ALTERNATE: uses the multi-tensor torch._foreach_add_ on all parameters with a gradient at once
import torch


def sgd_step(params, lr):
    with_grad = [p for p in params if p.grad is not None]
    if not with_grad:
        return None
    with torch.no_grad():
        torch._foreach_add_(with_grad, [p.grad for p in with_grad], alpha=-lr)
    for p in with_grad:
        p.grad = None
    return None
