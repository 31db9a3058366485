# MISTAKE: returns the loss tensor instead of a Python float
# FEEDBACK: call .item()
import torch


def accumulate_gradients(model, loss_fn, inputs, targets, micro_batches):
    model.zero_grad()
    total = 0
    for x, t in zip(inputs.chunk(micro_batches), targets.chunk(micro_batches)):
        loss = loss_fn(model(x), t) / micro_batches
        loss.backward()
        total = total + loss.detach()
    return total
