# MISTAKE: weights every batch by loader.batch_size, wrong for the smaller last batch
# FEEDBACK: the last batch is smaller
def train_epoch(model, loader, loss_fn, optimizer):
    model.train()
    total, samples = 0.0, 0
    for inputs, targets in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        total += loss.item() * loader.batch_size
        samples += loader.batch_size
    return total / samples
