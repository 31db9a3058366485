# MISTAKE: calls argmax() without a dim, which flattens the logits
# FEEDBACK: LAST dim
import torch


def predict(model, x):
    modes = [(module, module.training) for module in model.modules()]
    model.eval()
    try:
        with torch.no_grad():
            logits = model(x)
        return logits.argmax()
    finally:
        for module, was_training in modes:
            module.training = was_training
