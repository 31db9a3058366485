# ALTERNATE: clears the gradients with model.zero_grad() instead of optimizer.zero_grad()
def train_step(model, inputs, targets, loss_fn, optimizer):
    model.zero_grad()
    loss = loss_fn(model(inputs), targets)
    loss.backward()
    optimizer.step()
    return float(loss.item())
