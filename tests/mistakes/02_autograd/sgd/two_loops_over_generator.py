# MISTAKE: loops over `params` twice (update, then clear); with model.parameters() the second loop sees nothing
# FEEDBACK: one-shot generator
import torch


def sgd_step(params, lr):
    with torch.no_grad():
        for p in params:
            if p.grad is not None:
                p -= lr * p.grad
    for p in params:
        p.grad = None
