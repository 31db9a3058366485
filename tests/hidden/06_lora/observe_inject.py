"""Scenarios for 06_lora/inject: they run beside the submission and only observe.

No expected value belongs here (this module is in the submission's process when grading); the
checks are in test_inject.py, which rebuilds the models and inputs with the builders below."""

import math
from collections import OrderedDict

import torch
from torch import nn

from grader.checks import explain, manual_seed
from grader.observe import attempt, scenario

NOT_LINEAR = {r"has no attribute '(in_features|out_features|weight)'":
              "a matching module that is not an nn.Linear was wrapped: replace only nn.Linear "
              "layers (isinstance(module, nn.Linear)); blocks whose names match are left alone"}


class Attn(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.q_proj = nn.Linear(d, d)
        self.k_proj = nn.Linear(d, d)
        self.v_proj = nn.Linear(d, d, bias=False)
        self.o_proj = nn.Linear(d, d)

    def forward(self, x):  # (B, T, d)
        q, k, v = self.q_proj(x), self.k_proj(x), self.v_proj(x)
        w = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1]), dim=-1)
        return self.o_proj(w @ v)


class Block(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.norm = nn.LayerNorm(d)
        self.attn = Attn(d)
        self.mlp = nn.Sequential(nn.Linear(d, 2 * d), nn.GELU(), nn.Linear(2 * d, d))

    def forward(self, x):
        x = x + self.attn(self.norm(x))
        return x + self.mlp(x)


class Toy(nn.Module):
    """embed, layers.{i}.attn.{q,k,v,o}_proj, layers.{i}.mlp.{0,2}, a top-level v_proj and
    kv_proj, head."""

    def __init__(self, d=8, n_layers=2, classes=3):
        super().__init__()
        self.embed = nn.Linear(5, d)
        self.layers = nn.ModuleList(Block(d) for _ in range(n_layers))
        self.kv_proj = nn.Linear(d, d)
        self.v_proj = nn.Linear(d, d)
        self.head = nn.Linear(d, classes)

    def forward(self, x):  # (B, T, 5)
        h = self.embed(x)
        for layer in self.layers:
            h = layer(h)
        h = h + self.kv_proj(h) + self.v_proj(h)
        return self.head(h)


def toy(seed, **kw):
    manual_seed(seed)
    return Toy(**kw)


def sequential_model():
    manual_seed(8)
    return nn.Sequential(nn.Linear(4, 6), nn.ReLU(),
                         nn.Sequential(nn.Linear(6, 6), nn.Tanh(), nn.Linear(6, 3)))


def x_for(seed, device="cpu"):
    return torch.randn(2, 4, 5, generator=torch.Generator().manual_seed(seed)).to(device)


def inject(kata, model, targets, **kw):
    with explain(NOT_LINEAR):
        return kata.inject_lora(model, targets, **kw)


def names_of(names):
    """The returned names this module can look up (the check fails on any other return)."""
    if type(names) is not list:
        return []
    return [name for name in names if type(name) is str]


def lookup(model, name):
    try:
        return model.get_submodule(name)
    except AttributeError:
        return None


def randomise_adapters(kata, model, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            if type(module) is kata.LoRALinear:
                module.lora_B.copy_(torch.randn(module.lora_B.shape, generator=g))


def dotted_children(model):
    return [name for name, _ in model.named_children() if "." in name]


@scenario
def matches_list(kata, name, targets):
    return kata.matches(name, targets)


@scenario
def matches_regex(kata, name, pattern):
    return kata.matches(name, pattern)


@scenario
def injects_the_matching_linears(kata):
    model = toy(1)
    originals = dict(model.named_modules())
    names = inject(kata, model, ["q_proj", "v_proj"])
    at = {}  # what sits now at the name of each module the model had
    for name, old in originals.items():
        now = lookup(model, name)
        at[name] = {"type": type(now).__name__, "lora": type(now) is kata.LoRALinear,
                    "same": now is old, "wraps_it": getattr(now, "base", None) is old}
    return {"names": names, "at": at, "dotted_children": dotted_children(model)}


@scenario
def output_unchanged_then_adapters_used(kata):
    model = toy(2)
    x = x_for(3)
    names = inject(kata, model, ["q_proj", "v_proj"])

    def randomised():
        randomise_adapters(kata, model, 4)
        return model(x)

    after = attempt(kata, model, x)
    return {"names": names, "after": after, "randomised": attempt(kata, randomised)}


@scenario
def only_adapters_trainable(kata):
    model = toy(5)
    names = inject(kata, model, ["q_proj", "v_proj"])
    return {"names": names,
            "trainable": [n for n, p in model.named_parameters() if p.requires_grad]}


@scenario
def passes_r_alpha_dropout(kata, r, alpha, dropout):
    model = toy(6)
    names = inject(kata, model, ["q_proj"], r=r, alpha=alpha, dropout=dropout)
    adapters = {}
    for name in names_of(names):
        module = lookup(model, name)
        adapters[name] = {"lora": type(module) is kata.LoRALinear}
        if adapters[name]["lora"]:
            adapters[name].update(lora_A_shape=tuple(module.lora_A.shape), scaling=module.scaling,
                                  dropout=module.dropout.p)
    return {"names": names, "adapters": adapters}


@scenario
def regex_targets_skip_non_linear(kata):
    model = toy(7)
    attn_blocks = [model.layers[0].attn, model.layers[1].attn]
    names = inject(kata, model, r".*attn.*")
    return {"names": names, "blocks_kept": [model.layers[i].attn is attn_blocks[i]
                                            for i in range(2)]}


@scenario
def sequential_children(kata):
    model = sequential_model()
    names = inject(kata, model, r"0|2\.2")
    return {"names": names,
            "lora": {name: type(lookup(model, name)) is kata.LoRALinear for name in ("0", "2.2")},
            "linear_2_0": type(lookup(model, "2.0")) is nn.Linear}


@scenario
def no_match_raises_and_leaves_model(kata):
    model = toy(9)
    try:
        kata.inject_lora(model, ["query", "value"])
    except ValueError as err:
        raised = type(err).__name__
    else:
        raised = None
    return {"raised": raised, "requires_grad": [p.requires_grad for p in model.parameters()]}


def _plain_dict(value):
    """An OrderedDict (what state_dict() returns) crosses as a dict; anything else as it is."""
    return dict(value) if type(value) in (dict, OrderedDict) else value


@scenario
def lora_state_dict(kata):
    model = toy(10)
    names = inject(kata, model, ["q_proj", "v_proj"], r=2)
    x = x_for(12)

    def state():
        randomise_adapters(kata, model, 11)
        return _plain_dict(kata.lora_state_dict(model))

    saved = attempt(kata, state)

    def load_into_fresh():
        fresh = toy(10)
        inject(kata, fresh, ["q_proj", "v_proj"], r=2)
        result = fresh.load_state_dict(saved["value"], strict=False)
        return {"unexpected": list(result.unexpected_keys), "out": fresh(x),
                "model_out": model(x)}

    return {"names": names, "sd": saved, "full": dict(model.state_dict()),
            "fresh": attempt(kata, load_into_fresh) if "value" in saved else None}


@scenario
def merge_lora(kata, device):
    model = toy(13).to(device)
    originals = dict(model.named_modules())
    names = inject(kata, model, ["q_proj", "v_proj", "0"], r=2, alpha=3.0)
    x = x_for(15, device)

    def before():
        randomise_adapters(kata, model, 14)
        model.eval()
        return model(x)

    def merge():
        return {"returned_model": kata.merge_lora(model) is model}

    seen = {"names": names, "before": attempt(kata, before), "merge": attempt(kata, merge)}
    seen.update(
        dotted_children=dotted_children(model),
        lora_left=[n for n, m in model.named_modules() if type(m) is kata.LoRALinear],
        types={name: {"type": type(lookup(model, name)).__name__,
                      "linear": type(lookup(model, name)) is nn.Linear}
               for name in names_of(names)},
        after=attempt(kata, model, x),
        same={name: lookup(model, name) is old for name, old in originals.items()})
    return seen
