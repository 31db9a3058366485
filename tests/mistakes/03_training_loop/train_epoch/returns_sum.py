# MISTAKE: returns the total of loss * batch size without dividing by the number of samples
# FEEDBACK: divide by the number of samples
def train_epoch(model, loader, loss_fn, optimizer):
    model.train()
    total = 0.0
    for inputs, targets in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        total += loss.item() * inputs.shape[0]
    return total
