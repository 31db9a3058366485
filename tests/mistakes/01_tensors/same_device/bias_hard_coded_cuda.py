# MISTAKE: hard-codes device='cuda' for the new column
# FEEDBACK: hard-coded
import torch


def add_bias_column(x):
    ones = torch.ones(x.shape[0], 1, dtype=x.dtype, device="cuda")
    return torch.cat([x, ones.to(x.device)], dim=1)


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
