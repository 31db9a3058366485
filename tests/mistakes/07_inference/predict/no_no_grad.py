# MISTAKE: runs the forward pass with autograd recording
# FEEDBACK: torch.no_grad()
import torch


def predict(model, x):
    modes = [(module, module.training) for module in model.modules()]
    model.eval()
    try:
        logits = model(x)
        return logits.argmax(dim=-1)
    finally:
        for module, was_training in modes:
            module.training = was_training
