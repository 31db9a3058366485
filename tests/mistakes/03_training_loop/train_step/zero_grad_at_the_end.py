# MISTAKE: zeroes the gradients at the end of the step instead of the start: stale gradients are used
# FEEDBACK: at the start of the step
def train_step(model, inputs, targets, loss_fn, optimizer):
    outputs = model(inputs)
    loss = loss_fn(outputs, targets)
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()
    return loss.item()
