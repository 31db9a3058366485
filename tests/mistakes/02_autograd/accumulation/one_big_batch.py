# MISTAKE: runs the whole batch at once instead of accumulating over micro-batches
# FEEDBACK: the model ran on batches of sizes
import torch


def accumulate_gradients(model, loss_fn, inputs, targets, micro_batches):
    model.zero_grad()
    loss = loss_fn(model(inputs), targets)
    loss.backward()
    return loss.item()
