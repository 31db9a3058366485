# MISTAKE: restores the mode, but not when the forward pass raises
# FEEDBACK: finally:
import torch


def predict(model, x):
    modes = [(module, module.training) for module in model.modules()]
    model.eval()
    with torch.no_grad():
        out = model(x).argmax(dim=-1)
    for module, was_training in modes:
        module.training = was_training
    return out
