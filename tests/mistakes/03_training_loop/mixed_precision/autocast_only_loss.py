# MISTAKE: runs the model outside autocast and only the loss inside it
# FEEDBACK: run model(inputs) and the loss inside torch.autocast
import torch
from torch import nn


def amp_train_step(model, inputs, targets, loss_fn, optimizer, scaler, device_type, dtype, max_norm=None):
    optimizer.zero_grad()
    outputs = model(inputs)
    with torch.autocast(device_type=device_type, dtype=dtype):
        loss = loss_fn(outputs, targets)
    scaler.scale(loss).backward()
    if max_norm is not None:
        scaler.unscale_(optimizer)
        nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    scaler.step(optimizer)
    scaler.update()
    return loss.item()
