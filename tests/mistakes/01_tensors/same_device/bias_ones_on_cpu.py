# MISTAKE: makes the column with torch.ones(n, 1): on the CPU and float32, whatever x is
# FEEDBACK: create it with device=x.device
import torch


def add_bias_column(x):
    return torch.cat([x, torch.ones(x.shape[0], 1)], dim=1)


def positions_for(tokens):
    b, t = tokens.shape
    return torch.arange(t, device=tokens.device).expand(b, t)


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
