# MISTAKE: divides each loss by the micro-batch size instead of the number of micro-batches
# FEEDBACK: should equal one backward() on the whole batch
import torch


def accumulate_gradients(model, loss_fn, inputs, targets, micro_batches):
    model.zero_grad()
    total = 0.0
    for x, t in zip(inputs.chunk(micro_batches), targets.chunk(micro_batches)):
        loss = loss_fn(model(x), t) / x.shape[0]
        loss.backward()
        total += loss.item()
    return total
