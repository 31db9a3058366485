# MISTAKE: zeroes the gradients after backward() and before step(), so step() has nothing to use
# FEEDBACK: between backward() and step()
def train_step(model, inputs, targets, loss_fn, optimizer):
    outputs = model(inputs)
    loss = loss_fn(outputs, targets)
    loss.backward()
    optimizer.zero_grad()
    optimizer.step()
    return loss.item()
