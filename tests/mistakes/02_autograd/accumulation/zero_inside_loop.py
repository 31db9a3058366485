# MISTAKE: zeroes the gradients inside the loop, keeping only the last micro-batch
# FEEDBACK: zeroed inside the loop
import torch


def accumulate_gradients(model, loss_fn, inputs, targets, micro_batches):
    total = 0.0
    for x, t in zip(inputs.chunk(micro_batches), targets.chunk(micro_batches)):
        model.zero_grad()
        loss = loss_fn(model(x), t) / micro_batches
        loss.backward()
        total += loss.item()
    return total
