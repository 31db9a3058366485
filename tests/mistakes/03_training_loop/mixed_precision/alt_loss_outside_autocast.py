# ALTERNATE: only the model runs under autocast; the loss is computed outside on float32 outputs, grads cleared by hand
import torch
from torch import nn


def amp_train_step(model, inputs, targets, loss_fn, optimizer, scaler, device_type, dtype, max_norm=None):
    for p in model.parameters():
        p.grad = None
    with torch.autocast(device_type, dtype=dtype):
        outputs = model(inputs)
    loss = loss_fn(outputs.float(), targets)
    scaler.scale(loss).backward()
    if max_norm is not None:
        scaler.unscale_(optimizer)
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=max_norm)
    scaler.step(optimizer)
    scaler.update()
    return float(loss)
