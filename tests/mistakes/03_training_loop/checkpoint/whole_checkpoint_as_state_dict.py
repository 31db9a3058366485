# MISTAKE: passes the whole checkpoint dict to model.load_state_dict instead of its "model" entry
# FEEDBACK: the saved keys do not match the model's
import torch


def save_checkpoint(path, model, optimizer, epoch):
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch}, path)


def load_checkpoint(path, model, optimizer, map_location="cpu"):
    checkpoint = torch.load(path, map_location=map_location, weights_only=True)
    model.load_state_dict(checkpoint)
    optimizer.load_state_dict(checkpoint["optimizer"])
    return checkpoint["epoch"]
