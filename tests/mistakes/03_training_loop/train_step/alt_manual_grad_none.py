# ALTERNATE: clears each parameter's gradient by hand and returns float(loss)
def train_step(model, inputs, targets, loss_fn, optimizer):
    for group in optimizer.param_groups:
        for p in group["params"]:
            p.grad = None
    loss = loss_fn(model(inputs), targets)
    loss.backward()
    optimizer.step()
    return float(loss)
