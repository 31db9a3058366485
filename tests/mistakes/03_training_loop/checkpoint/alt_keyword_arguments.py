# ALTERNATE: builds the dict with dict(...) and uses keyword arguments everywhere
import torch


def save_checkpoint(path, model, optimizer, epoch):
    torch.save(obj=dict(epoch=epoch, optimizer=optimizer.state_dict(), model=model.state_dict()), f=path)


def load_checkpoint(path, model, optimizer, map_location="cpu"):
    ckpt = torch.load(f=path, weights_only=True, map_location=map_location)
    optimizer.load_state_dict(state_dict=ckpt["optimizer"])
    model.load_state_dict(state_dict=ckpt["model"])
    return ckpt["epoch"]
