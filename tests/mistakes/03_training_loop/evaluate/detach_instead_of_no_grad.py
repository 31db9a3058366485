# MISTAKE: detaches the outputs instead of using torch.no_grad(): the graph is built anyway
# FEEDBACK: too late
def evaluate(model, loader, loss_fn):
    was_training = model.training
    model.eval()
    try:
        total, correct, n = 0.0, 0, 0
        for inputs, targets in loader:
            outputs = model(inputs).detach()
            total += loss_fn(outputs, targets).item() * len(targets)
            correct += (outputs.argmax(dim=-1) == targets).sum().item()
            n += len(targets)
    finally:
        model.train(was_training)
    return total / n, correct / n
