# MISTAKE: takes an SGD step after accumulating, changing the parameters
# FEEDBACK: accumulation only fills .grad
import torch


def accumulate_gradients(model, loss_fn, inputs, targets, micro_batches):
    model.zero_grad()
    total = 0.0
    for x, t in zip(inputs.chunk(micro_batches), targets.chunk(micro_batches)):
        loss = loss_fn(model(x), t) / micro_batches
        loss.backward()
        total += loss.item()
    with torch.no_grad():
        for p in model.parameters():
            p -= 0.01 * p.grad
    return total
