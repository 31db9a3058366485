# MISTAKE: a `return` indented inside the loop, so only the first parameter is updated
# FEEDBACK: every parameter of the model should be updated
import torch


def sgd_step(params, lr):
    with torch.no_grad():
        for p in params:
            if p.grad is None:
                continue
            p -= lr * p.grad
            p.grad = None
            return
