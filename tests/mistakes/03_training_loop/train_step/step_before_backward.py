# MISTAKE: calls optimizer.step() before loss.backward(), so the step uses no (or last step's) gradients
# FEEDBACK: call it before backward()
def train_step(model, inputs, targets, loss_fn, optimizer):
    optimizer.zero_grad()
    outputs = model(inputs)
    loss = loss_fn(outputs, targets)
    optimizer.step()
    loss.backward()
    return loss.item()
