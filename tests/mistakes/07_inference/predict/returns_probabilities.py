# MISTAKE: returns softmax probabilities instead of class indices
# FEEDBACK: not probabilities
import torch


def predict(model, x):
    modes = [(module, module.training) for module in model.modules()]
    model.eval()
    try:
        with torch.no_grad():
            logits = model(x)
        return logits.softmax(dim=-1)
    finally:
        for module, was_training in modes:
            module.training = was_training
