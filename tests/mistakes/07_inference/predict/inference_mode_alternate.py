# ALTERNATE: torch.inference_mode, a dict of flags, argmax of the softmax
import torch


def predict(model, x):
    flags = {name: m.training for name, m in model.named_modules()}
    try:
        model.eval()
        with torch.inference_mode():
            probs = torch.softmax(model(x), dim=-1)
            classes = torch.argmax(probs, dim=-1)
    finally:
        for name, m in model.named_modules():
            m.training = flags[name]
    return classes
