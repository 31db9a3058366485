# MISTAKE: restores the mode after the loop but not in a finally block: an exception leaves the model in eval mode
# FEEDBACK: try/finally
import torch


def evaluate(model, loader, loss_fn):
    was_training = model.training
    model.eval()
    total, correct, n = 0.0, 0, 0
    with torch.no_grad():
        for inputs, targets in loader:
            outputs = model(inputs)
            total += loss_fn(outputs, targets).item() * len(targets)
            correct += (outputs.argmax(dim=-1) == targets).sum().item()
            n += len(targets)
    model.train(was_training)
    return total / n, correct / n
