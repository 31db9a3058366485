# MISTAKE: returns the accuracy as a percentage (0-100) instead of a fraction
# FEEDBACK: not a percentage
import torch


def evaluate(model, loader, loss_fn):
    was_training = model.training
    model.eval()
    try:
        total, correct, n = 0.0, 0, 0
        with torch.no_grad():
            for inputs, targets in loader:
                outputs = model(inputs)
                total += loss_fn(outputs, targets).item() * len(targets)
                correct += (outputs.argmax(dim=-1) == targets).sum().item()
                n += len(targets)
    finally:
        model.train(was_training)
    return total / n, 100.0 * correct / n
