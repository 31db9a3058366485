# MISTAKE: computes the gradients but never calls optimizer.step()
# FEEDBACK: forget optimizer.step()
def train_step(model, inputs, targets, loss_fn, optimizer):
    optimizer.zero_grad()
    outputs = model(inputs)
    loss = loss_fn(outputs, targets)
    loss.backward()
    return loss.item()
