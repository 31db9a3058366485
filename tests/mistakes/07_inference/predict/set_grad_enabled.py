# MISTAKE: switches autograd off with torch.set_grad_enabled(False) and never back on
# FEEDBACK: not torch.set_grad_enabled(False)
import torch


def predict(model, x):
    modes = [(module, module.training) for module in model.modules()]
    model.eval()
    try:
        torch.set_grad_enabled(False)
        logits = model(x)
        return logits.argmax(dim=-1)
    finally:
        for module, was_training in modes:
            module.training = was_training
