# MISTAKE: never switches the model to training mode, so a model left in eval mode trains with dropout off and frozen BatchNorm statistics
# FEEDBACK: call model.train() before the loop
def train_epoch(model, loader, loss_fn, optimizer):
    total, samples = 0.0, 0
    for inputs, targets in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        total += loss.item() * inputs.shape[0]
        samples += inputs.shape[0]
    return total / samples
