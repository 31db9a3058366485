# MISTAKE: moves with .to(parameter), which also casts labels to the parameter's float dtype
# FEEDBACK: keep their dtype
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
    param = next(model.parameters())
    if isinstance(batch, torch.Tensor):
        return batch.to(param)
    return {k: v.to(param) for k, v in batch.items()}
