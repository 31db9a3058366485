# MISTAKE: the return is indented inside the loop, so only the first batch is trained on
# FEEDBACK: is the `return` inside the loop?
def train_epoch(model, loader, loss_fn, optimizer):
    model.train()
    total, samples = 0.0, 0
    for inputs, targets in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        total += loss.item() * inputs.shape[0]
        samples += inputs.shape[0]
        return total / samples
