# MISTAKE: divides by len(loader.dataset), which counts samples a drop_last=True loader never yields
# FEEDBACK: drop_last=True
def train_epoch(model, loader, loss_fn, optimizer):
    model.train()
    total = 0.0
    for inputs, targets in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(inputs)
    return total / len(loader.dataset)
