"""Hidden tests for 05_fine_tuning/param_groups."""

import copy

import pytest
import torch
from torch import nn

from grader.checks import assert_close, expect, expect_type, manual_seed

NORMS = (nn.LayerNorm, nn.GroupNorm, nn.RMSNorm, nn.modules.batchnorm._BatchNorm,
         nn.modules.instancenorm._InstanceNorm)


class Block(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.ln = nn.LayerNorm(d)
        self.attn = nn.MultiheadAttention(d, 2, batch_first=True)
        self.ff = nn.Linear(d, d)


class Backbone(nn.Module):
    def __init__(self, vocab, d, n_blocks):
        super().__init__()
        self.embed = nn.Embedding(vocab, d)
        self.pos = nn.Parameter(torch.randn(d))  # 1-D, yet decayed: it is not a bias or a norm
        self.blocks = nn.ModuleList(Block(d) for _ in range(n_blocks))
        self.bn = nn.BatchNorm1d(d)
        self.gn = nn.GroupNorm(2, d)
        self.rms = nn.RMSNorm(d)
        self.ln_f = nn.LayerNorm((2, d))  # a 2-D norm weight, yet not decayed
        self.unembed = nn.Linear(d, vocab, bias=False)
        self.unembed.weight = self.embed.weight  # tied: one parameter in two modules


class Net(nn.Module):
    def __init__(self, vocab=11, d=8, n_blocks=2, classes=3):
        super().__init__()
        self.backbone = Backbone(vocab, d, n_blocks)
        self.head = nn.Sequential(nn.LayerNorm(d), nn.Linear(d, classes))


def _net(seed=0, **kwargs):
    manual_seed(seed)
    return Net(**kwargs)


def _expected(model, lr, backbone_lr, weight_decay):
    """Trusted: {id: (name, lr, weight_decay)} for every trainable parameter, first owner wins."""
    out = {}
    for mname, module in model.named_modules():
        for pname, p in module.named_parameters(recurse=False):
            if not p.requires_grad or id(p) in out:
                continue
            head = mname == "head" or mname.startswith("head.")
            no_decay = pname.endswith("bias") or isinstance(module, NORMS)
            out[id(p)] = (f"{mname}.{pname}".lstrip("."), lr if head else backbone_lr,
                          0.0 if no_decay else weight_decay)
    return out


def _groups(kata, model, lr=1e-3, backbone_lr=1e-4, weight_decay=0.05):
    """The submission's groups, checked for form; returns (groups, {id: [(lr, wd), ...]})."""
    groups = kata.param_groups(model, lr=lr, backbone_lr=backbone_lr, weight_decay=weight_decay)
    expect_type(groups, list, "param_groups' result", hint="return a list of dicts, one per group")
    placed = {}
    for i, g in enumerate(groups):
        expect_type(g, dict, f"parameter group {i}", hint="each group is a plain dict")
        for key in ("params", "lr", "weight_decay"):
            expect(key in g, f"group {i} has no {key!r}: every group must state params, lr and "
                             "weight_decay; a missing key silently takes the optimizer's default "
                             "(AdamW's default weight_decay is 0.01, not 0)")
        expect_type(g["params"], list, f"group {i}'s params",
                    hint="params must be a list: an optimizer needs a fixed order, so no sets "
                         "(their order changes between runs) and no one-shot generators")
        expect(len(g["params"]) > 0, f"group {i} is empty: leave out groups with no parameters")
        for key in ("lr", "weight_decay"):
            expect_type(g[key], (float, int), f"group {i}'s {key}")
        for p in g["params"]:
            placed.setdefault(id(p), []).append((p, float(g["lr"]), float(g["weight_decay"])))
    return groups, placed


def _names(model, ids):
    names = {}
    for n, p in model.named_parameters(remove_duplicate=False):
        names.setdefault(id(p), n)
    return sorted(names.get(i, "<not a parameter of the model>") for i in ids)


def _check_setting(model, placed, expected, select, index, hint):
    wrong = []
    for pid, (name, *want) in expected.items():
        if select(name) and pid in placed:
            got = placed[pid][0][index]
            if abs(got - want[index - 1]) > 1e-12:
                wrong.append(f"{name}: {got:g} instead of {want[index - 1]:g}")
    expect(wrong == [], f"{hint}\n  wrong: " + "; ".join(wrong))


def test_groups_are_well_formed(kata):
    """returns a list of non-empty dicts, one per distinct (lr, weight_decay) setting"""
    model = _net(1)
    groups, _ = _groups(kata, model)
    settings = [(float(g["lr"]), float(g["weight_decay"])) for g in groups]
    expect(len(settings) == len(set(settings)),
           f"several groups share the same lr and weight_decay ({settings}): put parameters with "
           "the same settings into one group (at most four: head/backbone x decay/no decay)")


def test_every_trainable_parameter_exactly_once(kata):
    """holds every trainable parameter of the model exactly once, as the model's own tensor"""
    model = _net(2)
    _, placed = _groups(kata, model)
    expected = _expected(model, 1e-3, 1e-4, 0.05)
    twice = [i for i, where in placed.items() if len(where) > 1]
    expect(twice == [], "these parameters appear more than once (AdamW refuses that): a shared "
                        "parameter (tied weights) is met once per module that holds it; keep the "
                        f"first. Repeated: {_names(model, twice)}")
    missing = [i for i in expected if i not in placed]
    expect(missing == [], f"these trainable parameters are in no group: {_names(model, missing)}; "
                          "walk every module with model.named_modules()")
    own = {id(p) for p in model.parameters()}
    strangers = [i for i in placed if i not in own]
    expect(strangers == [], "the groups hold tensors that are not the model's parameters: put the "
                            "Parameter objects themselves in the groups, not p.data, "
                            "p.detach() or copies, or the optimizer trains nothing")


def test_frozen_parameters_left_out(kata):
    """frozen parameters go in no group"""
    model = _net(3)
    for p in list(model.backbone.blocks[0].parameters()) + [model.backbone.pos]:
        p.requires_grad_(False)
    _, placed = _groups(kata, model)
    frozen = [i for i, where in placed.items() if not where[0][0].requires_grad]
    expect(frozen == [], "frozen parameters (requires_grad False) were put in a group: skip them, "
                         f"there is nothing to optimize. Included: {_names(model, frozen)}")


@pytest.mark.parametrize("wd", [0.1, 0.01])
def test_biases_not_decayed(kata, wd):
    """biases (bias, in_proj_bias, ...) get weight_decay 0.0"""
    model = _net(4)
    _, placed = _groups(kata, model, weight_decay=wd)
    expected = _expected(model, 1e-3, 1e-4, wd)
    _check_setting(model, placed, expected, lambda n: n.endswith("bias"), 2,
                   "biases must not be decayed: every parameter whose own name ends with 'bias' "
                   "(bias, in_proj_bias) gets weight_decay 0.0")


@pytest.mark.parametrize("wd", [0.1, 0.01])
def test_norm_parameters_not_decayed(kata, wd):
    """every parameter of a normalisation layer gets weight_decay 0.0, whatever its name or shape"""
    model = _net(5)
    _, placed = _groups(kata, model, weight_decay=wd)
    expected = _expected(model, 1e-3, 1e-4, wd)
    norm_names = {f"{m}.{p}" for m, mod in model.named_modules() if isinstance(mod, NORMS)
                  for p, _ in mod.named_parameters(recurse=False)}
    _check_setting(model, placed, expected, lambda n: n in norm_names, 2,
                   "normalisation layers' parameters must not be decayed: decide by the type of "
                   "the module that owns the parameter (isinstance(module, NORM_TYPES)), not by "
                   "its name ('bn', 'ln_f' contain no 'norm') or by its number of dimensions "
                   "(a LayerNorm((2, d)) weight is 2-D)")


def test_other_parameters_decayed(kata):
    """weights, embeddings and other parameters get the weight decay, even 1-D ones"""
    model = _net(6)
    _, placed = _groups(kata, model, weight_decay=0.07)
    expected = _expected(model, 1e-3, 1e-4, 0.07)
    decayed = {pid for pid, (_, _, wd) in expected.items() if wd > 0}
    _check_setting(model, placed, expected, lambda n: n in {expected[i][0] for i in decayed}, 2,
                   "parameters that are neither biases nor owned by a normalisation layer must "
                   "get weight_decay, whatever their shape: a 1-D learned vector (pos) is not a "
                   "bias (do not decide by p.ndim)")


@pytest.mark.parametrize("lr,backbone_lr", [(1e-3, 1e-5), (3e-4, 3e-4), (0.1, 0.02)])
def test_learning_rates(kata, lr, backbone_lr):
    """the head's parameters get lr, every other parameter backbone_lr"""
    model = _net(7)
    _, placed = _groups(kata, model, lr=lr, backbone_lr=backbone_lr)
    expected = _expected(model, lr, backbone_lr, 0.05)
    _check_setting(model, placed, expected, lambda n: True, 1,
                   "the head (model.head, at any depth, its LayerNorm too) uses lr; every other "
                   "parameter is the pretrained backbone and uses the smaller backbone_lr")


def test_no_empty_groups(kata):
    """leaves out groups that would be empty"""
    probe = _net(8)
    for p in probe.backbone.parameters():
        p.requires_grad_(False)
    groups, placed = _groups(kata, probe)
    expect(len(groups) == 2, f"a linear probe (frozen backbone) should give 2 groups, the head's "
                             f"decay and no-decay ones, got {len(groups)}: leave out empty groups")
    plain = nn.Sequential(nn.Linear(3, 4, bias=False))
    plain.head = nn.Linear(4, 2, bias=False)
    groups, _ = _groups(kata, plain)
    expect(len(groups) == 2, f"a model without biases or norms should give 2 groups (backbone and "
                             f"head, both decayed), got {len(groups)}: leave out empty groups")


def test_groups_state_lr_and_weight_decay(kata):
    """every group states its own lr and weight_decay"""
    model = _net(9)
    groups, _ = _groups(kata, model, lr=2e-3, backbone_lr=2e-4, weight_decay=0.3)
    for g in groups:
        expect(float(g["weight_decay"]) in (0.0, 0.3) and float(g["lr"]) in (2e-3, 2e-4),
               f"a group has lr={g['lr']}, weight_decay={g['weight_decay']}: use the lr, "
               "backbone_lr and weight_decay given, and 0.0 for no decay")


@pytest.mark.weight(2)
def test_adamw_steps_like_the_reference(kata, device):
    """AdamW built from the groups moves every parameter as the reference grouping does"""
    model = _net(10).to(device)
    model.backbone.blocks[1].requires_grad_(False)
    reference = copy.deepcopy(model)
    groups, _ = _groups(kata, model, lr=0.05, backbone_lr=0.01, weight_decay=0.5)
    optimizer = torch.optim.AdamW(groups)
    by_setting = {}
    for pid, (_, lr, wd) in _expected(reference, 0.05, 0.01, 0.5).items():
        by_setting.setdefault((lr, wd), []).append(pid)
    ref_params = {id(p): p for p in reference.parameters()}
    ref_opt = torch.optim.AdamW([{"params": [ref_params[i] for i in ids], "lr": lr, "weight_decay": wd}
                                 for (lr, wd), ids in by_setting.items()])
    g = torch.Generator().manual_seed(10)
    for _ in range(2):
        for p, q in zip(model.parameters(), reference.parameters()):
            grad = torch.randn(p.shape, generator=g).to(device)
            p.grad = grad.clone() if p.requires_grad else None
            q.grad = grad.clone() if q.requires_grad else None
        optimizer.step()
        ref_opt.step()
    for (name, p), q in zip(model.named_parameters(), reference.parameters()):
        assert_close(p.detach(), q.detach(), what=f"parameter {name!r} after two AdamW steps",
                     hint="this parameter got the wrong lr or weight decay (or was left out): "
                          "biases and norm parameters take weight_decay 0.0, the head lr, the "
                          "rest backbone_lr; frozen parameters must not move", rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
def test_model_unchanged(kata, training):
    """building the groups changes nothing in the model"""
    model = _net(11).train(training)
    model.backbone.embed.weight.requires_grad_(False)
    flags = {n: p.requires_grad for n, p in model.named_parameters()}
    before = {n: p for n, p in model.named_parameters()}
    _groups(kata, model)
    now = {n: p.requires_grad for n, p in model.named_parameters()}
    expect(now == flags, "param_groups changed requires_grad: only read the flags, never set them")
    expect(all(p is before[n] for n, p in model.named_parameters()),
           "param_groups replaced parameters of the model: only read them")
    modes = sorted(n for n, m in model.named_modules() if m.training != training)
    expect(modes == [], f"param_groups changed train/eval mode: {modes}")


def test_meta_device_model(kata):
    """works on a large meta-device model, holding its parameters themselves"""
    with torch.device("meta"):
        model = Net(vocab=50_000, d=1024, n_blocks=4, classes=1000)
    _, placed = _groups(kata, model)
    expected = _expected(model, 1e-3, 1e-4, 0.05)
    expect(set(placed) == set(expected), "on a meta-device model the groups should hold exactly "
                                         "the trainable parameters, each once")
    wrong = [expected[i][0] for i, where in placed.items()
             if i in expected and (where[0][1], where[0][2]) != expected[i][1:]]
    expect(wrong == [], f"wrong lr or weight decay on the meta-device model for {wrong}")
