# MISTAKE: calls optimizer.zero_grad() once before the loop, so gradients pile up batch after batch
# FEEDBACK: every batch
def train_epoch(model, loader, loss_fn, optimizer):
    model.train()
    optimizer.zero_grad()
    total, samples = 0.0, 0
    for inputs, targets in loader:
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        total += loss.item() * inputs.shape[0]
        samples += inputs.shape[0]
    return total / samples
