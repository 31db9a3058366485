# MISTAKE: updates the parameters in place while autograd is recording (no torch.no_grad())
# FEEDBACK: torch.no_grad()
import torch


def sgd_step(params, lr):
    for p in params:
        if p.grad is None:
            continue
        p -= lr * p.grad
        p.grad = None
