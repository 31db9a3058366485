# MISTAKE: calls model.train() at the end, switching a model that was in eval mode to training mode
# FEEDBACK: switches a model the caller had in eval mode
import torch


def evaluate(model, loader, loss_fn):
    model.eval()
    total, correct, n = 0.0, 0, 0
    with torch.no_grad():
        for inputs, targets in loader:
            outputs = model(inputs)
            total += loss_fn(outputs, targets).item() * len(targets)
            correct += (outputs.argmax(dim=-1) == targets).sum().item()
            n += len(targets)
    model.train()
    return total / n, correct / n
