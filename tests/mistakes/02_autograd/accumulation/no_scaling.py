# MISTAKE: does not scale the micro-batch losses, so the gradients are micro_batches times too big
# FEEDBACK: divide each micro-batch loss by the number of micro-batches
import torch


def accumulate_gradients(model, loss_fn, inputs, targets, micro_batches):
    model.zero_grad()
    total = 0.0
    for x, t in zip(inputs.chunk(micro_batches), targets.chunk(micro_batches)):
        loss = loss_fn(model(x), t)
        loss.backward()
        total += loss.item()
    return total / micro_batches
