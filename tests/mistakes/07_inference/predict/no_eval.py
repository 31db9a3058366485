# MISTAKE: never switches to eval mode, so Dropout and BatchNorm behave as in training
# FEEDBACK: model.eval()
import torch


def predict(model, x):
    modes = [(module, module.training) for module in model.modules()]
    try:
        with torch.no_grad():
            logits = model(x)
        return logits.argmax(dim=-1)
    finally:
        for module, was_training in modes:
            module.training = was_training
