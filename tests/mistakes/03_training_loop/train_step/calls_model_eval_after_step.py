# MISTAKE: puts the model in eval mode after the update, leaving it there for the next step
# FEEDBACK: the caller chooses the mode
def train_step(model, inputs, targets, loss_fn, optimizer):
    optimizer.zero_grad()
    outputs = model(inputs)
    loss = loss_fn(outputs, targets)
    loss.backward()
    optimizer.step()
    model.eval()
    return loss.item()
