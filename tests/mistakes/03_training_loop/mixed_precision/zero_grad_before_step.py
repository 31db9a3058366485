# MISTAKE: clears the gradients after backward() but before the step, so nothing is learned
# FEEDBACK: parameters did not change
import torch
from torch import nn


def amp_train_step(model, inputs, targets, loss_fn, optimizer, scaler, device_type, dtype, max_norm=None):
    with torch.autocast(device_type=device_type, dtype=dtype):
        loss = loss_fn(model(inputs), targets)
    scaler.scale(loss).backward()
    if max_norm is not None:
        scaler.unscale_(optimizer)
        nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    optimizer.zero_grad()
    scaler.step(optimizer)
    scaler.update()
    return loss.item()
