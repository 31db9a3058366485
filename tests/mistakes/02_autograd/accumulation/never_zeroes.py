# MISTAKE: never zeroes the gradients, so old ones are added into the result
# FEEDBACK: did not zero the gradients first
import torch


def accumulate_gradients(model, loss_fn, inputs, targets, micro_batches):
    total = 0.0
    for x, t in zip(inputs.chunk(micro_batches), targets.chunk(micro_batches)):
        loss = loss_fn(model(x), t) / micro_batches
        loss.backward()
        total += loss.item()
    return total
