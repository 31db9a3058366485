"""Hidden tests for 06_lora/inject."""

import math
from collections import OrderedDict

import pytest
import torch
from torch import nn

from grader.checks import assert_close, expect, expect_tensor, expect_type, explain, manual_seed

PARENT = ("the nested layer was not replaced: setattr(model, 'a.b.c', new) only adds an attribute "
          "with a dotted name to the root. Set the child on its parent: "
          "setattr(model.get_submodule('a.b'), 'c', new) (or model.set_submodule)")
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


def _toy(seed, **kw):
    manual_seed(seed)
    return Toy(**kw)


def _x(seed, device="cpu"):
    return torch.randn(2, 4, 5, generator=torch.Generator().manual_seed(seed)).to(device)


def _inject(kata, model, targets, **kw):
    with explain(NOT_LINEAR):
        names = kata.inject_lora(model, targets, **kw)
    expect_type(names, list, "inject_lora's return value",
                hint="inject_lora returns the list of the replaced layers' names")
    for name in names:
        expect_type(name, str, "each returned name")
    return names


def _randomise_adapters(kata, model, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            if type(module) is kata.LoRALinear:
                module.lora_B.copy_(torch.randn(module.lora_B.shape, generator=g))


# ------------------------------------------------------------------------------ matches


@pytest.mark.parametrize("name,targets,want", [
    ("layers.0.attn.q_proj", ["q_proj", "v_proj"], True),
    ("v_proj", ["q_proj", "v_proj"], True),
    ("layers.0.attn.kv_proj", ["v_proj"], False),
    ("layers.1.attn.q_proj", ["attn.q_proj"], True),
    ("layers.0.attn.q_proj", ["proj"], False),
    ("layers.0.attn.q_proj", [], False),
])
def test_matches_list(kata, name, targets, want):
    """a list matches a name equal to an entry or ending with '.' + an entry"""
    got = kata.matches(name, targets)
    expect_type(got, bool, "matches()'s return value")
    expect(got == want,
           f"matches({name!r}, {targets!r}) should be {want}: with a list, a name matches when it equals "
           "an entry or ends with '.' + the entry (so 'kv_proj' does not match 'v_proj', a top-level "
           "'v_proj' does, and a part of a name is not enough)")


@pytest.mark.parametrize("name,pattern,want", [
    ("layers.0.attn.q_proj", r".*\.(q|v)_proj", True),
    ("layers.0.attn.q_proj_gate", r".*\.(q|v)_proj", False),
    ("layers.0.attn.q_proj", r"attn\.q_proj", False),
    ("layers.1.mlp.0", r"layers\.1\..*", True),
    ("encoder.layers.1.mlp.0", r"layers\.1\..*", False),
    ("layers.0.attn.q_proj", "q_proj", False),
    ("q_proj", "q_proj", True),
])
def test_matches_regex(kata, name, pattern, want):
    """a single string is a regex that must match the whole name"""
    got = kata.matches(name, pattern)
    expect_type(got, bool, "matches()'s return value")
    expect(got == want,
           f"matches({name!r}, {pattern!r}) should be {want}: a string target is a regular expression "
           "that must match the WHOLE name: use re.fullmatch (re.match only anchors the start, "
           "re.search matches anywhere); do not treat the string as a list of names")


# ------------------------------------------------------------------------------ inject_lora


@pytest.mark.weight(3)
def test_injects_the_matching_linears(kata):
    """replaces exactly the matching nn.Linear layers, nested ones included, by LoRALinear"""
    model = _toy(1)
    originals = dict(model.named_modules())
    names = _inject(kata, model, ["q_proj", "v_proj"])
    want = ["layers.0.attn.q_proj", "layers.0.attn.v_proj", "layers.1.attn.q_proj",
            "layers.1.attn.v_proj", "v_proj"]
    expect(sorted(names) == want,
           f"inject_lora reported {sorted(names)}, expected {want}: match names with "
           "name == t or name.endswith('.' + t) (not 'kv_proj' for 'v_proj')")
    for name in want:
        module = model.get_submodule(name)
        expect(type(module) is kata.LoRALinear, f"{name!r} is a {type(module).__name__}, not a LoRALinear: " + PARENT)
        expect(module.base is originals[name],
               f"the LoRALinear at {name!r} should wrap the model's own layer (LoRALinear(old_layer)), "
               "keeping its pretrained weights")
    for name, module in originals.items():
        if isinstance(module, nn.Linear) and name not in want:
            expect(model.get_submodule(name) is module,
                   f"{name!r} was replaced although it does not match ['q_proj', 'v_proj']")
    extra = [n for n, _ in model.named_children() if "." in n]
    expect(not extra, f"the model got children with dotted names {extra}: " + PARENT)


@pytest.mark.weight(2)
def test_output_unchanged_then_adapters_used(kata):
    """the injected model first computes the same output, and its adapters are really used"""
    model = _toy(2)
    x = _x(3)
    before = model(x).detach()
    names = _inject(kata, model, ["q_proj", "v_proj"])
    assert_close(model(x).detach(), before, what="the output right after injection",
                 hint="with lora_B at zero the injected model must compute what it did before: "
                      "wrap each original layer, do not create new ones")
    expect(len(names) > 0, "inject_lora replaced nothing")
    _randomise_adapters(kata, model, 4)
    expect(not bool(torch.allclose(model(x).detach(), before)),
           "changing the adapters does not change the output: the LoRALinear layers are not "
           "used by forward. " + PARENT)


@pytest.mark.weight(2)
def test_only_adapters_trainable(kata):
    """freezes every parameter except the new adapters, which stay trainable"""
    model = _toy(5)
    names = _inject(kata, model, ["q_proj", "v_proj"])
    trainable = sorted(n for n, p in model.named_parameters() if p.requires_grad)
    want = sorted(f"{n}.{a}" for n in names for a in ("lora_A", "lora_B"))
    missing = sorted(set(want) - set(trainable))
    extra = sorted(set(trainable) - set(want))
    expect(not missing, f"adapters are frozen: {missing[:4]}: freeze the model's parameters first, "
                        "then inject (freezing afterwards freezes the new adapters too)")
    expect(not extra, f"parameters outside the adapters still train: {extra[:4]}: freeze every "
                      "parameter of the model (model.parameters()), not only the wrapped layers")


@pytest.mark.parametrize("r,alpha,dropout", [(2, 4.0, 0.0), (4, 1.0, 0.25)])
def test_passes_r_alpha_dropout(kata, r, alpha, dropout):
    """creates each adapter with the given r, alpha and dropout"""
    model = _toy(6)
    names = _inject(kata, model, ["q_proj"], r=r, alpha=alpha, dropout=dropout)
    expect(len(names) == 2, f"expected 2 layers named q_proj to be replaced, got {names}")
    for name in names:
        module = model.get_submodule(name)
        expect(type(module) is kata.LoRALinear, f"{name!r} was not replaced: " + PARENT)
        expect(tuple(module.lora_A.shape) == (r, 8) and math.isclose(module.scaling, alpha / r)
               and math.isclose(module.dropout.p, dropout),
               f"the adapter at {name!r} has r={module.lora_A.shape[0]}, scaling={module.scaling}, "
               f"dropout={module.dropout.p}; expected r={r}, alpha / r={alpha / r}, dropout={dropout}: "
               "pass r, alpha and dropout on to LoRALinear")


def test_regex_targets_skip_non_linear(kata):
    """with a regex, replaces matching nn.Linear layers and leaves matching blocks alone"""
    model = _toy(7)
    attn_blocks = [model.layers[0].attn, model.layers[1].attn]
    names = _inject(kata, model, r".*attn.*")
    want = sorted(f"layers.{i}.attn.{p}_proj" for i in range(2) for p in "qkvo")
    expect(sorted(names) == want,
           f"with the regex '.*attn.*' the replaced layers should be {want}, got {sorted(names)}: "
           "use re.fullmatch on the full name and replace only nn.Linear modules")
    expect(model.layers[0].attn is attn_blocks[0] and model.layers[1].attn is attn_blocks[1],
           "the attention blocks themselves were replaced: only nn.Linear layers are wrapped")


def test_sequential_children(kata):
    """replaces items of nn.Sequential / nn.ModuleList (names like '0' and 'blocks.1.0')"""
    manual_seed(8)
    model = nn.Sequential(nn.Linear(4, 6), nn.ReLU(),
                          nn.Sequential(nn.Linear(6, 6), nn.Tanh(), nn.Linear(6, 3)))
    names = _inject(kata, model, r"0|2\.2")
    expect(sorted(names) == ["0", "2.2"], f"expected the layers '0' and '2.2' to be replaced, got {names}")
    expect(type(model[0]) is kata.LoRALinear and type(model[2][2]) is kata.LoRALinear,
           "the Sequential items were not replaced: " + PARENT)
    expect(type(model[2][0]) is nn.Linear, "'2.0' does not match r'0|2\\.2' but was replaced")


@pytest.mark.weight(2)
def test_no_match_raises_and_leaves_model(kata):
    """raises ValueError when nothing matches, before changing the model"""
    model = _toy(9)
    raised = False
    try:
        kata.inject_lora(model, ["query", "value"])
    except ValueError:
        raised = True
    expect(raised, "no layer matches ['query', 'value'] but inject_lora did not raise ValueError: "
                   "a typo in target_modules would silently train nothing")
    expect(all(p.requires_grad for p in model.parameters()),
           "inject_lora froze the model before finding out that nothing matches: collect the "
           "matching names first and raise before changing anything")


# ------------------------------------------------------------------------------ state dict, merge


@pytest.mark.weight(2)
def test_lora_state_dict(kata):
    """lora_state_dict holds only the adapters, with full keys, and loads into a fresh model"""
    model = _toy(10)
    names = _inject(kata, model, ["q_proj", "v_proj"], r=2)
    _randomise_adapters(kata, model, 11)
    sd = kata.lora_state_dict(model)
    expect_type(sd, (dict, OrderedDict), "lora_state_dict's return value",
                hint="return a dict of name -> tensor, like model.state_dict()")
    want = sorted(f"{n}.{a}" for n in names for a in ("lora_A", "lora_B"))
    expect(sorted(sd) == want,
           f"the keys should be exactly the adapters' full state_dict keys, e.g. {want[:2]}, got "
           f"{sorted(sd)[:6]}{' ...' if len(sd) > 6 else ''} ({len(sd)} keys): filter "
           "model.state_dict() to the lora_A / lora_B entries, keeping the full names")
    full = model.state_dict()
    for key in want:
        expect_tensor(sd[key], f"the entry {key!r}", requires_grad=False,
                      hint="store detached tensors, as model.state_dict() does, not the parameters")
        assert_close(sd[key], full[key], what=f"the entry {key!r}")
    fresh = _toy(10)
    _inject(kata, fresh, ["q_proj", "v_proj"], r=2)
    result = fresh.load_state_dict(sd, strict=False)
    expect(not result.unexpected_keys, f"unexpected keys when loading: {result.unexpected_keys[:3]}")
    x = _x(12)
    assert_close(fresh(x).detach(), model(x).detach(), what="a fresh model's output after loading the adapters")


@pytest.mark.weight(3)
def test_merge_lora(kata, device):
    """merge_lora turns every LoRALinear back into an nn.Linear with identical outputs"""
    model = _toy(13).to(device)
    originals = {n: m for n, m in model.named_modules() if not isinstance(m, nn.Linear)}
    names = _inject(kata, model, ["q_proj", "v_proj", "0"], r=2, alpha=3.0)
    _randomise_adapters(kata, model, 14)
    model.eval()
    x = _x(15, device)
    before = model(x).detach()
    returned = kata.merge_lora(model)
    expect(returned is model, "merge_lora should change the model in place and return it")
    extra = [n for n, _ in model.named_children() if "." in n]
    expect(not extra, f"the model got children with dotted names {extra}: " + PARENT)
    left = [n for n, m in model.named_modules() if type(m) is kata.LoRALinear]
    expect(not left, f"LoRALinear layers are left after merging: {left[:3]}: find them with "
                     "model.named_modules(), at every depth, and set each merged() on its parent")
    for name in names:
        module = model.get_submodule(name)
        expect(type(module) is nn.Linear, f"{name!r} is a {type(module).__name__} after merging, not an nn.Linear")
    assert_close(model(x).detach(), before, what="the output after merging",
                 hint="the merged model must compute exactly what the LoRA model computed")
    for name, module in originals.items():
        expect(model.get_submodule(name) is module, f"{name!r} was replaced by merge_lora: "
                                                    "only LoRALinear layers are merged")
