# MISTAKE: calls loss_fn(targets, outputs), the arguments in the wrong order
# FEEDBACK: loss_fn(outputs, targets)
def train_step(model, inputs, targets, loss_fn, optimizer):
    optimizer.zero_grad()
    outputs = model(inputs)
    loss = loss_fn(targets, outputs)
    loss.backward()
    optimizer.step()
    return loss.item()
