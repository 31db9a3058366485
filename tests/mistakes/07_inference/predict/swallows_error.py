# MISTAKE: catches the forward pass's error and returns None
# FEEDBACK: swallowed
import torch


def predict(model, x):
    modes = [(module, module.training) for module in model.modules()]
    model.eval()
    try:
        with torch.no_grad():
            logits = model(x)
        return logits.argmax(dim=-1)
    except RuntimeError:
        return None
    finally:
        for module, was_training in modes:
            module.training = was_training
