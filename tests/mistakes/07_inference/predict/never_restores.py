# MISTAKE: leaves the model in eval mode
# FEEDBACK: restore every module's previous mode
import torch


def predict(model, x):
    model.eval()
    with torch.no_grad():
        return model(x).argmax(dim=-1)
