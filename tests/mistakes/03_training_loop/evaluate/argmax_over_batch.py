# MISTAKE: takes the argmax over dim=0 (the batch) instead of over the classes
# FEEDBACK: argmax over the class dimension
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
                correct += (outputs.argmax(dim=0) == targets).sum().item()
                n += len(targets)
    finally:
        model.train(was_training)
    return total / n, correct / n
