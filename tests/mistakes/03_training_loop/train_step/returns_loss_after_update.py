# MISTAKE: returns a loss recomputed after optimizer.step(), not the loss of this step's forward pass
# FEEDBACK: before optimizer.step()
def train_step(model, inputs, targets, loss_fn, optimizer):
    optimizer.zero_grad()
    loss = loss_fn(model(inputs), targets)
    loss.backward()
    optimizer.step()
    return loss_fn(model(inputs), targets).item()
