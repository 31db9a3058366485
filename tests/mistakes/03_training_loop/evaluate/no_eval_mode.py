# MISTAKE: forgets model.eval(), so Dropout stays on and BatchNorm uses and updates batch statistics
# FEEDBACK: call model.eval() before the loop
import torch


def evaluate(model, loader, loss_fn):
    total, correct, n = 0.0, 0, 0
    with torch.no_grad():
        for inputs, targets in loader:
            outputs = model(inputs)
            total += loss_fn(outputs, targets).item() * len(targets)
            correct += (outputs.argmax(dim=-1) == targets).sum().item()
            n += len(targets)
    return total / n, correct / n
