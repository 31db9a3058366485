# MISTAKE: zeroes with p.grad.zero_() on every parameter, which fails when .grad is still None
# FEEDBACK: .grad None
import torch


def accumulate_gradients(model, loss_fn, inputs, targets, micro_batches):
    for p in model.parameters():
        p.grad.zero_()
    total = 0.0
    for x, t in zip(inputs.chunk(micro_batches), targets.chunk(micro_batches)):
        loss = loss_fn(model(x), t) / micro_batches
        loss.backward()
        total += loss.item()
    return total
