# MISTAKE: restores only the top level with model.train(was_training)
# FEEDBACK: frozen BatchNorm
import torch


def predict(model, x):
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            logits = model(x)
        return logits.argmax(dim=-1)
    finally:
        model.train(was_training)
