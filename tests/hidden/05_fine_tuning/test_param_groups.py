"""Hidden tests for 05_fine_tuning/param_groups: the checks. The scenarios are in
observe_param_groups.py; each listed tensor arrives as the name of the model parameter it is."""

import pytest
import torch
from torch import nn

from grader.checks import assert_close, expect, expect_type
from grader.observe import scenarios_of

scenes = scenarios_of(__file__)

NORMS = (nn.LayerNorm, nn.GroupNorm, nn.RMSNorm, nn.modules.batchnorm._BatchNorm,
         nn.modules.instancenorm._InstanceNorm)
STRANGER = "<not a parameter of the model>"


def _expected(model, lr, backbone_lr, weight_decay):
    """Trusted: {name: (name, lr, weight_decay)} for every trainable parameter, first owner
    wins."""
    out = {}
    seen = set()
    for mname, module in model.named_modules():
        for pname, p in module.named_parameters(recurse=False):
            if not p.requires_grad or id(p) in seen:
                continue
            seen.add(id(p))
            head = mname == "head" or mname.startswith("head.")
            no_decay = pname.endswith("bias") or isinstance(module, NORMS)
            name = f"{mname}.{pname}".lstrip(".")
            out[name] = (name, lr if head else backbone_lr, 0.0 if no_decay else weight_decay)
    return out


def _groups(observed, model):
    """The submission's groups, checked for form; returns (groups, {key: [(requires_grad, lr,
    wd), ...]}). A key is the parameter's name in `model` (a rebuilt copy, whose requires_grad
    is trusted), or ("object", n) for the n-th listed object that is not a parameter of it."""
    groups = observed
    expect_type(groups, list, "param_groups' result", hint="return a list of dicts, one per group")
    # no group at all would leave every check below with nothing to compare
    trainable = sum(p.requires_grad for p in model.parameters())
    expect(len(groups) > 0 or trainable == 0,
           f"the result has 0 parameter groups, but the model has {trainable} trainable "
           "parameters: put each in a group (head/backbone x decay/no decay)")
    params = dict(model.named_parameters(remove_duplicate=False))
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
        for entry in g["params"]:
            p = params.get(entry["name"])
            key = entry["name"] if p is not None else ("object", entry["object"])
            requires_grad = p.requires_grad if p is not None else entry["requires_grad"]
            placed.setdefault(key, []).append(
                (requires_grad, float(g["lr"]), float(g["weight_decay"])))
    return groups, placed


def _names(keys):
    return sorted(key if type(key) is str else STRANGER for key in keys)


def _check_setting(placed, expected, select, index, hint):
    wrong = []
    for key, (name, *want) in expected.items():
        if select(name) and key in placed:
            got = placed[key][0][index]
            if abs(got - want[index - 1]) > 1e-12:
                wrong.append(f"{name}: {got:g} instead of {want[index - 1]:g}")
    expect(wrong == [], f"{hint}\n  wrong: " + "; ".join(wrong))


def test_groups_are_well_formed(observed):
    """returns a list of non-empty dicts, one per distinct (lr, weight_decay) setting"""
    groups, _ = _groups(observed, scenes.net(1))
    settings = [(float(g["lr"]), float(g["weight_decay"])) for g in groups]
    expect(len(settings) == len(set(settings)),
           f"several groups share the same lr and weight_decay ({settings}): put parameters with "
           "the same settings into one group (at most four: head/backbone x decay/no decay)")


def test_every_trainable_parameter_exactly_once(observed):
    """holds every trainable parameter of the model exactly once, as the model's own tensor"""
    model = scenes.net(2)
    _, placed = _groups(observed, model)
    expected = _expected(model, 1e-3, 1e-4, 0.05)
    twice = [key for key, where in placed.items() if len(where) > 1]
    expect(twice == [], "these parameters appear more than once (AdamW refuses that): a shared "
                        "parameter (tied weights) is met once per module that holds it; keep the "
                        f"first. Repeated: {_names(twice)}")
    missing = [key for key in expected if key not in placed]
    expect(missing == [], f"these trainable parameters are in no group: {_names(missing)}; "
                          "walk every module with model.named_modules()")
    strangers = [key for key in placed if type(key) is not str]
    expect(strangers == [], "the groups hold tensors that are not the model's parameters: put the "
                            "Parameter objects themselves in the groups, not p.data, "
                            "p.detach() or copies, or the optimizer trains nothing")


def test_frozen_parameters_left_out(observed):
    """frozen parameters go in no group"""
    _, placed = _groups(observed, scenes.net_with_frozen_parts())
    frozen = [key for key, where in placed.items() if not where[0][0]]
    expect(frozen == [], "frozen parameters (requires_grad False) were put in a group: skip them, "
                         f"there is nothing to optimize. Included: {_names(frozen)}")


@pytest.mark.parametrize("wd", [0.1, 0.01])
def test_biases_not_decayed(observed, wd):
    """biases (bias, in_proj_bias, ...) get weight_decay 0.0"""
    model = scenes.net(4)
    _, placed = _groups(observed, model)
    expected = _expected(model, 1e-3, 1e-4, wd)
    _check_setting(placed, expected, lambda n: n.endswith("bias"), 2,
                   "biases must not be decayed: every parameter whose own name ends with 'bias' "
                   "(bias, in_proj_bias) gets weight_decay 0.0")


@pytest.mark.parametrize("wd", [0.1, 0.01])
def test_norm_parameters_not_decayed(observed, wd):
    """every parameter of a normalisation layer gets weight_decay 0.0, whatever its name or shape"""
    model = scenes.net(5)
    _, placed = _groups(observed, model)
    expected = _expected(model, 1e-3, 1e-4, wd)
    norm_names = {f"{m}.{p}" for m, mod in model.named_modules() if isinstance(mod, NORMS)
                  for p, _ in mod.named_parameters(recurse=False)}
    _check_setting(placed, expected, lambda n: n in norm_names, 2,
                   "normalisation layers' parameters must not be decayed: decide by the type of "
                   "the module that owns the parameter (isinstance(module, NORM_TYPES)), not by "
                   "its name ('bn', 'ln_f' contain no 'norm') or by its number of dimensions "
                   "(a LayerNorm((2, d)) weight is 2-D)")


def test_other_parameters_decayed(observed):
    """weights, embeddings and other parameters get the weight decay, even 1-D ones"""
    model = scenes.net(6)
    _, placed = _groups(observed, model)
    expected = _expected(model, 1e-3, 1e-4, 0.07)
    decayed = {name for name, (_, _, wd) in expected.items() if wd > 0}
    _check_setting(placed, expected, lambda n: n in decayed, 2,
                   "parameters that are neither biases nor owned by a normalisation layer must "
                   "get weight_decay, whatever their shape: a 1-D learned vector (pos) is not a "
                   "bias (do not decide by p.ndim)")


@pytest.mark.parametrize("lr,backbone_lr", [(1e-3, 1e-5), (3e-4, 3e-4), (0.1, 0.02)])
def test_learning_rates(observed, lr, backbone_lr):
    """the head's parameters get lr, every other parameter backbone_lr"""
    model = scenes.net(7)
    _, placed = _groups(observed, model)
    expected = _expected(model, lr, backbone_lr, 0.05)
    _check_setting(placed, expected, lambda n: True, 1,
                   "the head (model.head, at any depth, its LayerNorm too) uses lr; every other "
                   "parameter is the pretrained backbone and uses the smaller backbone_lr")


def test_no_empty_groups(observed):
    """leaves out groups that would be empty"""
    groups, _ = _groups(observed["probe"], scenes.linear_probe())
    expect(len(groups) == 2, f"a linear probe (frozen backbone) should give 2 groups, the head's "
                             f"decay and no-decay ones, got {len(groups)}: leave out empty groups")
    groups, _ = _groups(observed["plain"], scenes.plain_model())
    expect(len(groups) == 2, f"a model without biases or norms should give 2 groups (backbone and "
                             f"head, both decayed), got {len(groups)}: leave out empty groups")


def test_groups_state_lr_and_weight_decay(observed):
    """every group states its own lr and weight_decay"""
    groups, _ = _groups(observed, scenes.net(9))
    for g in groups:
        expect(float(g["weight_decay"]) in (0.0, 0.3) and float(g["lr"]) in (2e-3, 2e-4),
               f"a group has lr={g['lr']}, weight_decay={g['weight_decay']}: use the lr, "
               "backbone_lr and weight_decay given, and 0.0 for no decay")


@pytest.mark.weight(2)
def test_adamw_steps_like_the_reference(observed, device):
    """AdamW built from the groups moves every parameter as the reference grouping does"""
    reference = scenes.net_for_adamw(device)
    _groups(observed["groups"], reference)
    by_setting = {}
    for name, (_, lr, wd) in _expected(reference, 0.05, 0.01, 0.5).items():
        by_setting.setdefault((lr, wd), []).append(name)
    ref_params = dict(reference.named_parameters())
    ref_opt = torch.optim.AdamW([{"params": [ref_params[n] for n in names], "lr": lr,
                                  "weight_decay": wd} for (lr, wd), names in by_setting.items()])
    scenes.adamw_steps(reference, ref_opt, device)
    for name, q in reference.named_parameters():
        assert_close(observed["after"].get(name), q.detach(),
                     what=f"parameter {name!r} after two AdamW steps",
                     hint="this parameter got the wrong lr or weight decay (or was left out): "
                          "biases and norm parameters take weight_decay 0.0, the head lr, the "
                          "rest backbone_lr; frozen parameters must not move", rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
def test_model_unchanged(observed, training):
    """building the groups changes nothing in the model"""
    model = scenes.net_with_frozen_embedding(training)
    _groups(observed["groups"], model)
    flags = {n: p.requires_grad for n, p in model.named_parameters()}
    expect(observed["requires_grad"] == flags,
           "param_groups changed requires_grad: only read the flags, never set them")
    expect(observed["replaced"] == [],
           "param_groups replaced parameters of the model: only read them")
    # by the rebuilt model's names: a submodule missing from the observation counts as changed
    modes = sorted(n for n, _ in model.named_modules() if observed["modes"].get(n) is not training)
    expect(modes == [], f"param_groups changed train/eval mode: {modes}")


def test_meta_device_model(observed):
    """works on a large meta-device model, holding its parameters themselves"""
    model = scenes.large_on_meta()
    _, placed = _groups(observed, model)
    expected = _expected(model, 1e-3, 1e-4, 0.05)
    expect(set(placed) == set(expected), "on a meta-device model the groups should hold exactly "
                                         "the trainable parameters, each once")
    wrong = [expected[key][0] for key, where in placed.items()
             if key in expected and (where[0][1], where[0][2]) != expected[key][1:]]
    expect(wrong == [], f"wrong lr or weight decay on the meta-device model for {wrong}")
