"""Scenarios for 05_fine_tuning/freeze: they run beside the submission and only observe.

No expected value belongs here (this module is in the submission's process when grading); the
checks are in test_freeze.py, which rebuilds the models with the builders below and counts their
parameters itself.
"""

import torch
from torch import nn

from grader.checks import manual_seed
from grader.observe import scenario


class Deep(nn.Module):
    """Parameters at three depths, on the root itself too, plus BatchNorm buffers."""

    def __init__(self, d=6):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(d))
        self.stem = nn.Linear(d, d)
        self.body = nn.Sequential(nn.Linear(d, d), nn.BatchNorm1d(d),
                                  nn.Sequential(nn.Tanh(), nn.Linear(d, d), nn.LayerNorm(d)))
        self.head = nn.Linear(d, 3)

    def forward(self, x):
        return self.head(self.body(self.stem(x) * self.scale))


class Tied(nn.Module):
    """An embedding whose weight is shared with the output projection (tied weights)."""

    def __init__(self, vocab=11, d=5):
        super().__init__()
        self.embed = nn.Embedding(vocab, d)
        self.mix = nn.Linear(d, d)
        self.out = nn.Linear(d, vocab, bias=False)
        self.out.weight = self.embed.weight

    def forward(self, idx):
        return self.out(torch.tanh(self.mix(self.embed(idx))))


_SINGLE_LAYERS = {"linear": lambda: nn.Linear(4, 3), "layernorm": lambda: nn.LayerNorm(7),
                  "conv": lambda: nn.Conv1d(2, 3, 3)}


def deep(seed=0, d=6):
    manual_seed(seed)
    return Deep(d)


def deep_with_statistics():
    """deep(5) after one training-mode forward, which fills BatchNorm's running statistics."""
    model = deep(5)
    model(torch.randn(8, 6))
    return model


def deep_with_frozen_body():
    model = deep(7)
    for p in model.body.parameters():
        p.requires_grad_(False)
    return model


def deep_all_frozen(seed):
    model = deep(seed)
    for p in model.parameters():
        p.requires_grad_(False)
    return model


def tied(vocab, d):
    manual_seed(0)
    return Tied(vocab, d)


def tied_with_frozen_embedding():
    model = tied(9, 4)
    model.embed.weight.requires_grad_(False)
    return model


def single_layer(layer):
    manual_seed(0)
    return _SINGLE_LAYERS[layer]()


def counting_model(dims):
    a, b, c = dims
    manual_seed(0)
    return nn.Sequential(nn.Linear(a, b), nn.ReLU(),
                         nn.Sequential(nn.Linear(b, c), nn.LayerNorm(c)))


def with_batch_norm():
    manual_seed(0)
    return nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.Linear(6, 2))


def large_on_meta():
    with torch.device("meta"):
        return nn.Sequential(nn.Embedding(50_000, 1024), nn.Linear(1024, 4096),
                             nn.Linear(4096, 1024))


def _trainable(model):
    return [n for n, p in model.named_parameters() if p.requires_grad]


def _devices(model):
    return {n: p.device.type for n, p in model.named_parameters()}


def _modes(model):
    return {n: m.training for n, m in model.named_modules()}


@scenario
def freeze_every_parameter_nested(kata, device):
    model = deep().to(device)
    kata.freeze(model)
    return {"trainable": _trainable(model), "devices": _devices(model)}


@scenario
def freeze_a_single_layer(kata, layer):
    module = single_layer(layer)
    kata.freeze(module)
    return {"trainable": _trainable(module)}


@scenario
def unfreeze_every_parameter_nested(kata, device):
    model = deep_all_frozen(1).to(device)
    kata.unfreeze(model)
    return {"frozen": [n for n, p in model.named_parameters() if not p.requires_grad]}


@scenario
def returns_the_module(kata):
    model = deep(2)
    frozen = kata.freeze(model)
    unfrozen = kata.unfreeze(model)
    return {"freeze_returned_it": frozen is model, "freeze_type": type(frozen).__name__,
            "unfreeze_returned_it": unfrozen is model, "unfreeze_type": type(unfrozen).__name__}


@scenario
def frozen_model_gets_no_gradients(kata, device):
    model = deep(3).to(device)
    kata.freeze(model)
    x = torch.randn(5, 6, generator=torch.Generator().manual_seed(3)).to(device)
    x.requires_grad_()
    model(x).pow(2).sum().backward()
    return {"with_grad": [n for n, p in model.named_parameters() if p.grad is not None],
            "input_has_grad": x.grad is not None}


@scenario
def mode_is_unchanged(kata, training):
    model = deep(4).train(training)
    kata.freeze(model)
    after_freeze = _modes(model)
    kata.unfreeze(model)
    return {"after_freeze": after_freeze, "after_unfreeze": _modes(model)}


@scenario
def parameters_and_buffers_kept(kata):
    model = deep_with_statistics()
    before = dict(model.named_parameters())
    kata.freeze(model)
    kata.unfreeze(model)
    return {
        "parameters": {n: {"same_object": p is before.get(n), "value": p.detach()}
                       for n, p in model.named_parameters()},
        "buffers": {n: {"value": b.detach(), "requires_grad": b.requires_grad}
                    for n, b in model.named_buffers()},
    }


@scenario
def freeze_only_the_given_submodule(kata):
    model = deep(6)
    kata.freeze(model.body)
    after_freeze = _trainable(model)
    kata.unfreeze(model.body[2])
    return {"after_freeze": after_freeze, "after_unfreeze": _trainable(model)}


@scenario
def counts_elements(kata, dims):
    return kata.count_parameters(counting_model(dims))


@scenario
def shared_parameter_counted_once(kata):
    return kata.count_parameters(tied(11, 5))


@scenario
def buffers_not_counted(kata):
    return kata.count_parameters(with_batch_norm())


@scenario
def trainable_only(kata):
    return {"deep": kata.count_parameters(deep_with_frozen_body(), trainable_only=True),
            "tied": kata.count_parameters(tied_with_frozen_embedding(), trainable_only=True)}


@scenario
def default_counts_frozen_parameters(kata):
    model = deep_all_frozen(8)
    return {"all": kata.count_parameters(model),
            "trainable": kata.count_parameters(model, trainable_only=True),
            "no_parameters": kata.count_parameters(nn.ReLU())}


@scenario
def meta_device_model(kata):
    model = large_on_meta()
    count = kata.count_parameters(model)
    kata.freeze(model)
    return {"count": count, "trainable": _trainable(model),
            "trainable_count": kata.count_parameters(model, trainable_only=True),
            "devices": _devices(model)}
