# MISTAKE: stops at the first parameter without a gradient (break instead of continue)
# FEEDBACK: continue, not break
import torch


def sgd_step(params, lr):
    with torch.no_grad():
        for p in params:
            if p.grad is None:
                break
            p -= lr * p.grad
            p.grad = None
