# MISTAKE: returns the loss tensor (keeping its graph alive) instead of a Python float
# FEEDBACK: .item()
def train_step(model, inputs, targets, loss_fn, optimizer):
    optimizer.zero_grad()
    outputs = model(inputs)
    loss = loss_fn(outputs, targets)
    loss.backward()
    optimizer.step()
    return loss.detach()
