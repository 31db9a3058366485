# MISTAKE: unscales, then calls optimizer.step() instead of scaler.step(optimizer), so inf gradients are applied
# FEEDBACK: scaler.step(optimizer)
import torch
from torch import nn


def amp_train_step(model, inputs, targets, loss_fn, optimizer, scaler, device_type, dtype, max_norm=None):
    optimizer.zero_grad()
    with torch.autocast(device_type=device_type, dtype=dtype):
        loss = loss_fn(model(inputs), targets)
    scaler.scale(loss).backward()
    scaler.unscale_(optimizer)
    if max_norm is not None:
        nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    optimizer.step()
    scaler.update()
    return loss.item()
