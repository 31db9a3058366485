# MISTAKE: adds the loss tensors themselves, returning a tensor (and keeping every batch's graph alive)
# FEEDBACK: accumulate loss.item()
def train_epoch(model, loader, loss_fn, optimizer):
    model.train()
    total, samples = 0.0, 0
    for inputs, targets in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        total = total + loss * inputs.shape[0]
        samples += inputs.shape[0]
    return total / samples
