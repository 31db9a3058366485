# MISTAKE: switches the model to training mode inside the step, overriding the caller's choice
# FEEDBACK: do not call model.train() or model.eval()
def train_step(model, inputs, targets, loss_fn, optimizer):
    model.train()
    optimizer.zero_grad()
    outputs = model(inputs)
    loss = loss_fn(outputs, targets)
    loss.backward()
    optimizer.step()
    return loss.item()
