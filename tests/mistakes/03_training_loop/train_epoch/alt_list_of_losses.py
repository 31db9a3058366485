# ALTERNATE: keeps (loss, size) pairs and computes the weighted mean with sum()
def train_epoch(model, loader, loss_fn, optimizer):
    model.train()
    records = []
    for inputs, targets in loader:
        optimizer.zero_grad()
        outputs = model(inputs)
        loss = loss_fn(outputs, targets)
        loss.backward()
        optimizer.step()
        records.append((loss.item(), inputs.size(0)))
    return sum(value * size for value, size in records) / sum(size for _, size in records)
