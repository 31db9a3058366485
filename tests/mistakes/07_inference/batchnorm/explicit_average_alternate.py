# ALTERNATE: averages each BatchNorm's batch statistics by hand with forward hooks
import torch
from torch import nn


def manual_batchnorm_train_step(x, running_mean, running_var, momentum=0.1, eps=1e-5):
    dims = tuple(d for d in range(x.dim()) if d != 1)
    mean = x.mean(dims, keepdim=True)
    var_b = ((x - mean) ** 2).mean(dims, keepdim=True)
    out = (x - mean) / (var_b + eps).sqrt()
    n = x.numel() / x.shape[1]
    with torch.no_grad():
        running_mean.copy_((1 - momentum) * running_mean + momentum * mean.flatten())
        running_var.copy_((1 - momentum) * running_var + momentum * var_b.flatten() * n / (n - 1))
    return out


def recalibrate_bn(model, loader):
    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    sums = {bn: [0, 0, 0] for bn in bns}

    def hook(bn, args):
        x = args[0]
        dims = [d for d in range(x.dim()) if d != 1]
        acc = sums[bn]
        acc[0] = acc[0] + x.mean(dims)
        acc[1] = acc[1] + x.var(dims, unbiased=True)
        acc[2] += 1

    modes = [(m, m.training) for m in model.modules()]
    handles = [bn.register_forward_pre_hook(hook) for bn in bns]
    try:
        model.eval()
        for bn in bns:
            bn.train()
            bn.momentum, saved = 1.0, bn.momentum  # batch statistics, swap back below
            bn.saved_momentum = saved
        with torch.no_grad():
            for batch in loader:
                model(batch[0] if isinstance(batch, (list, tuple)) else batch)
            for bn in bns:
                mean_sum, var_sum, k = sums[bn]
                if k:
                    bn.running_mean.copy_(mean_sum / k)
                    bn.running_var.copy_(var_sum / k)
                    bn.num_batches_tracked.fill_(k)
    finally:
        for h in handles:
            h.remove()
        for bn in bns:
            bn.momentum = bn.saved_momentum
            del bn.saved_momentum
        for m, flag in modes:
            m.training = flag
