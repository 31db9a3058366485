# ALTERNATE: keys a dict by the (lr, weight_decay) setting while walking named_modules
import torch
from torch import nn

NORM_TYPES = (nn.LayerNorm, nn.GroupNorm, nn.RMSNorm, nn.modules.batchnorm._BatchNorm,
              nn.modules.instancenorm._InstanceNorm)


def param_groups(model, lr, backbone_lr, weight_decay):
    by_setting = {}
    placed = set()
    for module_name, module in model.named_modules():
        group_lr = lr if module_name.split(".", 1)[0] == "head" else backbone_lr
        for name, p in module.named_parameters(recurse=False):
            if id(p) in placed or not p.requires_grad:
                continue
            placed.add(id(p))
            exempt = isinstance(module, NORM_TYPES) or name.endswith("bias")
            key = (group_lr, 0.0 if exempt else weight_decay)
            by_setting.setdefault(key, []).append(p)
    return [{"params": ps, "lr": key[0], "weight_decay": key[1]} for key, ps in by_setting.items()]
