# MISTAKE: moves the result to the CPU
# FEEDBACK: do not move them to the CPU
import torch


def predict(model, x):
    modes = [(module, module.training) for module in model.modules()]
    model.eval()
    try:
        with torch.no_grad():
            logits = model(x)
        return logits.argmax(dim=-1).cpu()
    finally:
        for module, was_training in modes:
            module.training = was_training
