# MISTAKE: reads model.training after calling model.eval(), so it "restores" eval mode
# FEEDBACK: remember was_training = model.training before model.eval()
import torch


def evaluate(model, loader, loss_fn):
    model.eval()
    was_training = model.training
    total, correct, n = 0.0, 0, 0
    with torch.no_grad():
        for inputs, targets in loader:
            outputs = model(inputs)
            total += loss_fn(outputs, targets).item() * len(targets)
            correct += (outputs.argmax(dim=-1) == targets).sum().item()
            n += len(targets)
    model.train(was_training)
    return total / n, correct / n
