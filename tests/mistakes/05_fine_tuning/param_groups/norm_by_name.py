# MISTAKE: finds norm layers by 'norm' in the name, missing ln_f, bn and ln
# FEEDBACK: not by its name
import torch
from torch import nn

NORM_TYPES = (nn.LayerNorm, nn.GroupNorm, nn.RMSNorm, nn.modules.batchnorm._BatchNorm,
              nn.modules.instancenorm._InstanceNorm)


def param_groups(model, lr, backbone_lr, weight_decay):
    buckets = {}
    seen = set()
    for module_name, module in model.named_modules():
        in_head = module_name == "head" or module_name.startswith("head.")
        for name, p in module.named_parameters(recurse=False):
            if not p.requires_grad or id(p) in seen:
                continue
            seen.add(id(p))
            decays = not (name.endswith("bias") or "norm" in module_name)
            buckets.setdefault((in_head, decays), []).append(p)
    return [{"params": params, "lr": lr if in_head else backbone_lr,
             "weight_decay": weight_decay if decays else 0.0} for (in_head, decays), params in buckets.items()]
