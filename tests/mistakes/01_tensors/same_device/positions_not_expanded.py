# MISTAKE: returns the (T,) range, leaving broadcasting to the caller
# FEEDBACK: expanded to (B, T)
import torch


def add_bias_column(x):
    ones = x.new_ones(x.shape[0], 1)
    return torch.cat([x, ones], dim=1)


def positions_for(tokens):
    return torch.arange(tokens.shape[1], device=tokens.device)


def model_device(model):
    for tensor in (next(model.parameters(), None), next(model.buffers(), None)):
        if tensor is not None:
            return tensor.device
    return torch.device("cpu")


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
