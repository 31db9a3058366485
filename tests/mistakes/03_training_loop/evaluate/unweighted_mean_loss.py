# MISTAKE: averages the batch losses over the number of batches, over-weighting the small last batch
# FEEDBACK: not weighted by batch size
import torch


def evaluate(model, loader, loss_fn):
    was_training = model.training
    model.eval()
    try:
        losses, correct, n = [], 0, 0
        with torch.no_grad():
            for inputs, targets in loader:
                outputs = model(inputs)
                losses.append(loss_fn(outputs, targets).item())
                correct += (outputs.argmax(dim=-1) == targets).sum().item()
                n += len(targets)
    finally:
        model.train(was_training)
    return sum(losses) / len(losses), correct / n
