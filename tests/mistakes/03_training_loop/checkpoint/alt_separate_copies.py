# ALTERNATE: saves CPU copies under other key names and loads through an open file
import copy

import torch


def save_checkpoint(path, model, optimizer, epoch):
    state = {
        "epoch": int(epoch),
        "model_state": {k: v.detach().cpu().clone() for k, v in model.state_dict().items()},
        "optim_state": copy.deepcopy(optimizer.state_dict()),
    }
    with open(path, "wb") as f:
        torch.save(state, f)


def load_checkpoint(path, model, optimizer, map_location="cpu"):
    with open(path, "rb") as f:
        state = torch.load(f, map_location=torch.device(map_location), weights_only=True)
    model.load_state_dict(state["model_state"], strict=True)
    optimizer.load_state_dict(state["optim_state"])
    return int(state["epoch"])
