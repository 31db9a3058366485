# MISTAKE: switches autograd off with torch.set_grad_enabled(False) and never switches it back on
# FEEDBACK: autograd was left switched off
import torch


def evaluate(model, loader, loss_fn):
    was_training = model.training
    model.eval()
    torch.set_grad_enabled(False)
    try:
        total, correct, n = 0.0, 0, 0
        for inputs, targets in loader:
            outputs = model(inputs)
            total += loss_fn(outputs, targets).item() * len(targets)
            correct += (outputs.argmax(dim=-1) == targets).sum().item()
            n += len(targets)
    finally:
        model.train(was_training)
    return total / n, correct / n
