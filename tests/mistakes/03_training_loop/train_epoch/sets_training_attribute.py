# MISTAKE: sets model.training = True, which changes only the top module, not its Dropout/BatchNorm layers
# FEEDBACK: changes only the top module
def train_epoch(model, loader, loss_fn, optimizer):
    model.training = True
    total, samples = 0.0, 0
    for inputs, targets in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        total += loss.item() * inputs.shape[0]
        samples += inputs.shape[0]
    return total / samples
