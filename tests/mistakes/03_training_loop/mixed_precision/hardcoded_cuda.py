# MISTAKE: hard-codes device_type='cuda' (copied from a GPU tutorial); autocast turns itself off on the CPU
# FEEDBACK: do not hard-code 'cuda'
import torch
from torch import nn


def amp_train_step(model, inputs, targets, loss_fn, optimizer, scaler, device_type, dtype, max_norm=None):
    optimizer.zero_grad()
    with torch.autocast(device_type="cuda", dtype=dtype):
        loss = loss_fn(model(inputs), targets)
    scaler.scale(loss).backward()
    if max_norm is not None:
        scaler.unscale_(optimizer)
        nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    scaler.step(optimizer)
    scaler.update()
    return loss.item()
