# MISTAKE: assumes the batch is always a dict and calls .items() on a tensor batch
# FEEDBACK: a batch may be a single tensor
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
    out = {}
    for k, v in batch.items():
        if param is not None and v.is_floating_point():
            out[k] = v.to(device=device, dtype=param.dtype)
        else:
            out[k] = v.to(device)
    return out
