# MISTAKE: sums the micro-batch losses and calls backward() once at the end, keeping every graph alive
# FEEDBACK: keeps every graph in memory
import torch


def accumulate_gradients(model, loss_fn, inputs, targets, micro_batches):
    model.zero_grad()
    total = 0
    for x, t in zip(inputs.chunk(micro_batches), targets.chunk(micro_batches)):
        total = total + loss_fn(model(x), t) / micro_batches
    total.backward()
    return total.item()
