# ALTERNATE: finds head parameters by identity, builds four named lists and drops the empty ones
from torch import nn

NORMS = (nn.LayerNorm, nn.GroupNorm, nn.RMSNorm, nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d,
         nn.SyncBatchNorm, nn.InstanceNorm1d, nn.InstanceNorm2d, nn.InstanceNorm3d)


def param_groups(model, lr, backbone_lr, weight_decay):
    head_ids = {id(p) for p in model.head.parameters()}
    no_decay_ids = set()
    for module in model.modules():
        for name, p in module.named_parameters(recurse=False):
            if isinstance(module, NORMS) or name.endswith("bias"):
                no_decay_ids.add(id(p))
    lists = {key: [] for key in ("head_decay", "head_plain", "body_decay", "body_plain")}
    for p in model.parameters():  # yields each shared parameter once
        if not p.requires_grad:
            continue
        part = "head" if id(p) in head_ids else "body"
        kind = "plain" if id(p) in no_decay_ids else "decay"
        lists[f"{part}_{kind}"].append(p)
    groups = []
    for key, params in lists.items():
        if params:
            groups.append({
                "params": params,
                "lr": lr if key.startswith("head") else backbone_lr,
                "weight_decay": weight_decay if key.endswith("decay") else 0.0,
            })
    return groups
