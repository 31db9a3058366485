# ALTERNATE: torch.var_mean on a (C, n) view, lerp_ for the running averages, modes kept in a dict
import torch
from torch import nn


def manual_batchnorm_train_step(x, running_mean, running_var, momentum=0.1, eps=1e-5):
    c = x.shape[1]
    flat = x.transpose(0, 1).reshape(c, -1)  # (C, n)
    var, mean = torch.var_mean(flat, dim=1, correction=0)
    n = flat.shape[1]
    view = (1, c) + (1,) * (x.dim() - 2)
    out = (x - mean.view(view)) * torch.rsqrt(var.view(view) + eps)
    with torch.no_grad():
        running_mean.lerp_(mean, momentum)
        running_var.lerp_(var * (n / (n - 1)), momentum)
    return out


def recalibrate_bn(model, loader):
    was = {name: m.training for name, m in model.named_modules()}
    saved = {}
    for name, m in model.named_modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)):
            saved[name] = m.momentum
            m.running_mean.zero_()
            m.running_var.fill_(1.0)
            m.num_batches_tracked.zero_()
            m.momentum = None
    model.train(False)
    for name in saved:
        model.get_submodule(name).train(True)
    try:
        with torch.no_grad():
            for batch in loader:
                if isinstance(batch, (list, tuple)):
                    batch = batch[0]
                model(batch)
    finally:
        for name, momentum in saved.items():
            model.get_submodule(name).momentum = momentum
        for name, m in model.named_modules():
            m.training = was[name]
