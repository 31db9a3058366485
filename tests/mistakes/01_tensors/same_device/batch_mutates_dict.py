# MISTAKE: writes the moved tensors back into the caller's dict
# FEEDBACK: the input dict was changed
import torch


def add_bias_column(x):
    ones = x.new_ones(x.shape[0], 1)
    return torch.cat([x, ones], dim=1)


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
    for k in batch:
        batch[k] = move(batch[k])
    return batch
