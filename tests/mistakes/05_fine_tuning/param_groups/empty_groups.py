# MISTAKE: always returns the four groups, even when some of them are empty
# FEEDBACK: leave out groups with no parameters
import torch
from torch import nn

NORM_TYPES = (nn.LayerNorm, nn.GroupNorm, nn.RMSNorm, nn.modules.batchnorm._BatchNorm,
              nn.modules.instancenorm._InstanceNorm)


def param_groups(model, lr, backbone_lr, weight_decay):
    head_decay, head_plain, body_decay, body_plain = [], [], [], []
    seen = set()
    for module_name, module in model.named_modules():
        in_head = module_name.split(".")[0] == "head"
        for name, p in module.named_parameters(recurse=False):
            if not p.requires_grad or id(p) in seen:
                continue
            seen.add(id(p))
            plain = name.endswith("bias") or isinstance(module, NORM_TYPES)
            if in_head:
                (head_plain if plain else head_decay).append(p)
            else:
                (body_plain if plain else body_decay).append(p)
    return [
        {"params": body_decay, "lr": backbone_lr, "weight_decay": weight_decay},
        {"params": body_plain, "lr": backbone_lr, "weight_decay": 0.0},
        {"params": head_decay, "lr": lr, "weight_decay": weight_decay},
        {"params": head_plain, "lr": lr, "weight_decay": 0.0},
    ]
