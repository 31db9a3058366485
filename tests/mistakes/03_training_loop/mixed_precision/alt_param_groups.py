# ALTERNATE: always unscales, clips the optimizer's param_groups, zero_grad(set_to_none=False)
import torch
from torch import nn


def amp_train_step(model, inputs, targets, loss_fn, optimizer, scaler, device_type, dtype, max_norm=None):
    optimizer.zero_grad(set_to_none=False)
    with torch.autocast(device_type=device_type, dtype=dtype, enabled=True):
        predictions = model(inputs)
        loss = loss_fn(predictions, targets)
    scaler.scale(loss).backward()
    scaler.unscale_(optimizer)
    if max_norm is not None:
        params = [p for group in optimizer.param_groups for p in group["params"]]
        torch.nn.utils.clip_grad_norm_(params, max_norm)
    scaler.step(optimizer)
    scaler.update()
    return loss.detach().float().item()
