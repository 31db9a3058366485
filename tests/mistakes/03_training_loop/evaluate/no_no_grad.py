# MISTAKE: forgets torch.no_grad(), so every forward pass builds a graph
# FEEDBACK: wrap the loop in torch.no_grad()
def evaluate(model, loader, loss_fn):
    was_training = model.training
    model.eval()
    total, correct, n = 0.0, 0, 0
    for inputs, targets in loader:
        outputs = model(inputs)
        total += loss_fn(outputs, targets).item() * len(targets)
        correct += (outputs.argmax(dim=-1) == targets).sum().item()
        n += len(targets)
    model.train(was_training)
    return total / n, correct / n
