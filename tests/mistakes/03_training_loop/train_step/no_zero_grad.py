# MISTAKE: never clears the gradients, so old gradients are added to this step's
# FEEDBACK: accumulate across steps
def train_step(model, inputs, targets, loss_fn, optimizer):
    outputs = model(inputs)
    loss = loss_fn(outputs, targets)
    loss.backward()
    optimizer.step()
    return loss.item()
