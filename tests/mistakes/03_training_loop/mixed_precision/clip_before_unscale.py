# MISTAKE: clips the gradients before scaler.unscale_, so it clips the scaled gradients
# FEEDBACK: clipping before unscale_
import torch
from torch import nn


def amp_train_step(model, inputs, targets, loss_fn, optimizer, scaler, device_type, dtype, max_norm=None):
    optimizer.zero_grad()
    with torch.autocast(device_type=device_type, dtype=dtype):
        loss = loss_fn(model(inputs), targets)
    scaler.scale(loss).backward()
    if max_norm is not None:
        nn.utils.clip_grad_norm_(model.parameters(), max_norm)
        scaler.unscale_(optimizer)
    scaler.step(optimizer)
    scaler.update()
    return loss.item()
