# MISTAKE: converts the model and inputs to the low dtype instead of using autocast
# FEEDBACK: keep the master weights float32
import torch
from torch import nn


def amp_train_step(model, inputs, targets, loss_fn, optimizer, scaler, device_type, dtype, max_norm=None):
    optimizer.zero_grad()
    model.to(dtype)
    outputs = model(inputs.to(dtype))
    loss = loss_fn(outputs.float(), targets)
    scaler.scale(loss).backward()
    if max_norm is not None:
        scaler.unscale_(optimizer)
        nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    scaler.step(optimizer)
    scaler.update()
    return loss.item()
