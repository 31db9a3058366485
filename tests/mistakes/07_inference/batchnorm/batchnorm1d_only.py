# MISTAKE: looks only for nn.BatchNorm1d layers
# FEEDBACK: _BatchNorm
import torch
from torch import nn


def manual_batchnorm_train_step(x, running_mean, running_var, momentum=0.1, eps=1e-5):
    dims = [0] + list(range(2, x.dim()))
    n = x.numel() // x.shape[1]
    mean = x.mean(dim=dims)
    var = x.var(dim=dims, unbiased=False)
    shape = [1, -1] + [1] * (x.dim() - 2)
    out = (x - mean.reshape(shape)) / torch.sqrt(var.reshape(shape) + eps)
    with torch.no_grad():
        running_mean.mul_(1 - momentum).add_(momentum * mean)
        running_var.mul_(1 - momentum).add_(momentum * var * n / (n - 1))
    return out


def recalibrate_bn(model, loader):
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm1d)]
    modes = [(m, m.training) for m in model.modules()]
    momenta = [(bn, bn.momentum) for bn in bns]
    try:
        model.eval()
        for bn in bns:
            bn.reset_running_stats()
            bn.momentum = None
            bn.train()
        with torch.no_grad():
            for batch in loader:
                inputs = batch[0] if isinstance(batch, (tuple, list)) else batch
                model(inputs)
    finally:
        for bn, momentum in momenta:
            bn.momentum = momentum
        for m, training in modes:
            m.training = training
