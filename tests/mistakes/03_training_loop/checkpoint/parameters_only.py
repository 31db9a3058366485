# MISTAKE: saves only the named parameters, losing buffers such as BatchNorm's running statistics
# FEEDBACK: save and load model.state_dict()
import torch


def save_checkpoint(path, model, optimizer, epoch):
    params = {name: p.detach() for name, p in model.named_parameters()}
    torch.save({"model": params, "optimizer": optimizer.state_dict(), "epoch": epoch}, path)


def load_checkpoint(path, model, optimizer, map_location="cpu"):
    checkpoint = torch.load(path, map_location=map_location, weights_only=True)
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    return checkpoint["epoch"]
