# MISTAKE: guesses the model's device from torch.cuda.is_available() instead of asking the model
# FEEDBACK: do not guess
import torch


def add_bias_column(x):
    ones = x.new_ones(x.shape[0], 1)
    return torch.cat([x, ones], dim=1)


def positions_for(tokens):
    b, t = tokens.shape
    return torch.arange(t, device=tokens.device).expand(b, t)


def model_device(model):
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def batch_to_model(batch, model):
    device = model_device(model)
    param = next(model.parameters(), None)

    def move(t):
        if param is not None and t.is_floating_point():
            return t.to(device=device, dtype=param.dtype)
        return t.to(device)

    if isinstance(batch, torch.Tensor):
        return move(batch)
    return {k: move(v) for k, v in batch.items()}
