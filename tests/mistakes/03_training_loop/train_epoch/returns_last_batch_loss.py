# MISTAKE: returns the loss of the last batch instead of the epoch's mean
# FEEDBACK: not the mean over all samples
def train_epoch(model, loader, loss_fn, optimizer):
    model.train()
    for inputs, targets in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
    return loss.item()
