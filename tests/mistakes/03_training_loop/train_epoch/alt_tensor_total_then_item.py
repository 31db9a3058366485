# ALTERNATE: accumulates detached loss tensors and converts once at the end
import torch


def train_epoch(model, loader, loss_fn, optimizer):
    model.train(True)
    total = None
    samples = 0
    for batch in loader:
        inputs, targets = batch
        model.zero_grad(set_to_none=True)
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        contribution = loss.detach() * len(targets)
        total = contribution if total is None else total + contribution
        samples += len(targets)
    return (total / samples).item()
