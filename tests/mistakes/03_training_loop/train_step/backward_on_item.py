# MISTAKE: takes loss.item() first, then backpropagates a new tensor made from that number (cut off from the graph)
# FEEDBACK: cut off from the graph
import torch


def train_step(model, inputs, targets, loss_fn, optimizer):
    optimizer.zero_grad()
    outputs = model(inputs)
    loss = loss_fn(outputs, targets).item()
    torch.tensor(loss, requires_grad=True).backward()
    optimizer.step()
    return loss
