# MISTAKE: averages the batch losses (divides by the number of batches), so the small last batch counts as much as a full one
# FEEDBACK: weight each batch's loss by its real batch size
def train_epoch(model, loader, loss_fn, optimizer):
    model.train()
    total, batches = 0.0, 0
    for inputs, targets in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        total += loss.item()
        batches += 1
    return total / batches
