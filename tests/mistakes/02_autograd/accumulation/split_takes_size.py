# MISTAKE: splits with tensor.split(micro_batches), which takes a chunk size, not a number of chunks
# FEEDBACK: takes a chunk size
import torch


def accumulate_gradients(model, loss_fn, inputs, targets, micro_batches):
    model.zero_grad()
    total = 0.0
    for x, t in zip(inputs.split(micro_batches), targets.split(micro_batches)):
        loss = loss_fn(model(x), t) / micro_batches
        loss.backward()
        total += loss.item()
    return total
