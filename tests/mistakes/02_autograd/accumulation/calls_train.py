# MISTAKE: calls model.train() out of training-loop habit, changing the mode of an eval model
# FEEDBACK: the model's mode was changed
import torch


def accumulate_gradients(model, loss_fn, inputs, targets, micro_batches):
    model.train()
    model.zero_grad()
    total = 0.0
    for x, t in zip(inputs.chunk(micro_batches), targets.chunk(micro_batches)):
        loss = loss_fn(model(x), t) / micro_batches
        loss.backward()
        total += loss.item()
    return total
