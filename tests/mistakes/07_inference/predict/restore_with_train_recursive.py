# MISTAKE: restores with module.train(flag) children first, so each parent then overwrites its children's flags
# FEEDBACK: frozen BatchNorm
import torch


def predict(model, x):
    modes = [(module, module.training) for module in model.modules()]
    model.eval()
    try:
        with torch.no_grad():
            logits = model(x)
        return logits.argmax(dim=-1)
    finally:
        for module, was_training in reversed(modes):
            module.train(was_training)
