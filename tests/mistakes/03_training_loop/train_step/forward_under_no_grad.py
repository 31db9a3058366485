# MISTAKE: runs the forward pass under torch.no_grad() "to save memory", so backward() has no graph
# FEEDBACK: outside the autograd graph
import torch


def train_step(model, inputs, targets, loss_fn, optimizer):
    optimizer.zero_grad()
    with torch.no_grad():
        outputs = model(inputs)
    loss = loss_fn(outputs, targets)
    loss.backward()
    optimizer.step()
    return loss.item()
