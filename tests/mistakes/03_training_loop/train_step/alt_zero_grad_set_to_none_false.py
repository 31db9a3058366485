# ALTERNATE: zeroes the gradients in place with optimizer.zero_grad(set_to_none=False)
def train_step(model, inputs, targets, loss_fn, optimizer):
    optimizer.zero_grad(set_to_none=False)
    outputs = model(inputs)
    loss = loss_fn(outputs, targets)
    loss.backward()
    optimizer.step()
    value = loss.detach().cpu().item()
    return value
