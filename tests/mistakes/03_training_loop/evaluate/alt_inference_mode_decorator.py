# ALTERNATE: uses @torch.inference_mode() on a helper and counts with torch.eq
import torch


@torch.inference_mode()
def _sums(model, loader, loss_fn):
    total, correct, n = 0.0, 0, 0
    for inputs, targets in loader:
        scores = model(inputs)
        b = targets.numel()
        total += float(loss_fn(scores, targets)) * b
        correct += int(torch.eq(scores.argmax(1), targets).sum())
        n += b
    return total, correct, n


def evaluate(model, loader, loss_fn):
    previous = model.training
    model.train(False)
    try:
        total, correct, n = _sums(model, loader, loss_fn)
    finally:
        model.train(previous)
    return total / n, correct / n
