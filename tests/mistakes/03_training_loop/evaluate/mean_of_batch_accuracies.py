# MISTAKE: averages per-batch accuracies instead of counting correct predictions over all samples
# FEEDBACK: not the mean of per-batch accuracies
import torch


def evaluate(model, loader, loss_fn):
    was_training = model.training
    model.eval()
    try:
        total, n, accs = 0.0, 0, []
        with torch.no_grad():
            for inputs, targets in loader:
                outputs = model(inputs)
                total += loss_fn(outputs, targets).item() * len(targets)
                accs.append((outputs.argmax(dim=-1) == targets).float().mean().item())
                n += len(targets)
    finally:
        model.train(was_training)
    return total / n, sum(accs) / len(accs)
