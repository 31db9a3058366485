# MISTAKE: sums the correct predictions as a tensor, so the accuracy comes back as a tensor
# FEEDBACK: converting tensors with .item()
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
                correct += (outputs.argmax(dim=-1) == targets).sum()
                n += len(targets)
    finally:
        model.train(was_training)
    return total / n, correct / n
