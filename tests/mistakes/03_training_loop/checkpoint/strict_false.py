# MISTAKE: loads with strict=False, so a checkpoint of another architecture loads silently (half of it)
# FEEDBACK: strict=True
import torch


def save_checkpoint(path, model, optimizer, epoch):
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch}, path)


def load_checkpoint(path, model, optimizer, map_location="cpu"):
    checkpoint = torch.load(path, map_location=map_location, weights_only=True)
    model.load_state_dict(checkpoint["model"], strict=False)
    try:
        optimizer.load_state_dict(checkpoint["optimizer"])
    except ValueError:
        pass  # "the optimizer does not match": skip it
    return checkpoint["epoch"]
