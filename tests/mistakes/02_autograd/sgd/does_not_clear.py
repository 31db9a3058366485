# MISTAKE: never clears the gradients, so the next backward() adds onto the old ones
# FEEDBACK: gradients were not cleared
import torch


def sgd_step(params, lr):
    with torch.no_grad():
        for p in params:
            if p.grad is not None:
                p -= lr * p.grad
