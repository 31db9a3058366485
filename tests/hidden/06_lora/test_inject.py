"""Hidden tests for 06_lora/inject: the checks. The scenarios are in observe_inject.py."""

import math
from collections import OrderedDict

import pytest
import torch
from torch import nn

from grader.checks import assert_close, expect, expect_tensor, expect_type, fail
from grader.observe import scenarios_of

scenes = scenarios_of(__file__)

PARENT = ("the nested layer was not replaced: setattr(model, 'a.b.c', new) only adds an attribute "
          "with a dotted name to the root. Set the child on its parent: "
          "setattr(model.get_submodule('a.b'), 'c', new) (or model.set_submodule)")


def _names(names):
    """inject_lora's return value, which must be a list of names."""
    expect_type(names, list, "inject_lora's return value",
                hint="inject_lora returns the list of the replaced layers' names")
    for name in names:
        expect_type(name, str, "each returned name")
    return names


def _ran(seen):
    """What a call after inject_lora returned; its error, if it raised."""
    if "error" in seen:
        fail(seen["error"])
    return seen["value"]


def _linear_names(model):
    return [name for name, module in model.named_modules() if isinstance(module, nn.Linear)]


def _replaced(model, targets):
    """Trusted: the names of the nn.Linear layers that list `targets` selects, sorted."""
    return sorted(name for name in _linear_names(model)
                  if any(name == t or name.endswith("." + t) for t in targets))


def _reported(names, want, targets):
    """Checks that inject_lora reported exactly the layers `want` (sorted names)."""
    expect(sorted(names) == want,
           f"inject_lora reported {sorted(names)}, expected {want}: match names with "
           f"name == t or name.endswith('.' + t) for t in {targets}")


# ------------------------------------------------------------------------------ matches


@pytest.mark.parametrize("name,targets,want", [
    ("layers.0.attn.q_proj", ["q_proj", "v_proj"], True),
    ("v_proj", ["q_proj", "v_proj"], True),
    ("layers.0.attn.kv_proj", ["v_proj"], False),
    ("layers.1.attn.q_proj", ["attn.q_proj"], True),
    ("layers.0.attn.q_proj", ["proj"], False),
    ("layers.0.attn.q_proj", [], False),
])
def test_matches_list(observed, name, targets, want):
    """a list matches a name equal to an entry or ending with '.' + an entry"""
    expect_type(observed, bool, "matches()'s return value")
    expect(observed == want,
           f"matches({name!r}, {targets!r}) should be {want}: with a list, a name matches when it "
           "equals an entry or ends with '.' + the entry (so 'kv_proj' does not match 'v_proj', "
           "a top-level 'v_proj' does, and a part of a name is not enough)")


@pytest.mark.parametrize("name,pattern,want", [
    ("layers.0.attn.q_proj", r".*\.(q|v)_proj", True),
    ("layers.0.attn.q_proj_gate", r".*\.(q|v)_proj", False),
    ("layers.0.attn.q_proj", r"attn\.q_proj", False),
    ("layers.1.mlp.0", r"layers\.1\..*", True),
    ("encoder.layers.1.mlp.0", r"layers\.1\..*", False),
    ("layers.0.attn.q_proj", "q_proj", False),
    ("q_proj", "q_proj", True),
])
def test_matches_regex(observed, name, pattern, want):
    """a single string is a regex that must match the whole name"""
    expect_type(observed, bool, "matches()'s return value")
    expect(observed == want,
           f"matches({name!r}, {pattern!r}) should be {want}: a string target is a regular "
           "expression that must match the WHOLE name: use re.fullmatch (re.match only anchors "
           "the start, re.search matches anywhere); do not treat the string as a list of names")


# ------------------------------------------------------------------------------ inject_lora


@pytest.mark.weight(3)
def test_injects_the_matching_linears(observed):
    """replaces exactly the matching nn.Linear layers, nested ones included, by LoRALinear"""
    names = _names(observed["names"])
    want = ["layers.0.attn.q_proj", "layers.0.attn.v_proj", "layers.1.attn.q_proj",
            "layers.1.attn.v_proj", "v_proj"]
    expect(sorted(names) == want,
           f"inject_lora reported {sorted(names)}, expected {want}: match names with "
           "name == t or name.endswith('.' + t) (not 'kv_proj' for 'v_proj')")
    at = observed["at"]
    for name in want:
        expect(at[name]["lora"] is True,
               f"{name!r} is a {at[name]['type']}, not a LoRALinear: " + PARENT)
        expect(at[name]["wraps_it"] is True,
               f"the LoRALinear at {name!r} should wrap the model's own layer "
               "(LoRALinear(old_layer)), keeping its pretrained weights")
    for name in _linear_names(scenes.toy(1)):
        if name not in want:
            expect(at[name]["same"] is True,
                   f"{name!r} was replaced although it does not match ['q_proj', 'v_proj']")
    extra = observed["dotted_children"]
    expect(not extra, f"the model got children with dotted names {extra}: " + PARENT)


@pytest.mark.weight(2)
def test_output_unchanged_then_adapters_used(observed):
    """the injected model first computes the same output, and its adapters are really used"""
    names = _names(observed["names"])
    before = scenes.toy(2)(scenes.x_for(3)).detach()
    assert_close(_ran(observed["after"]), before, what="the output right after injection",
                 hint="with lora_B at zero the injected model must compute what it did before: "
                      "wrap each original layer, do not create new ones")
    expect(len(names) > 0, "inject_lora replaced nothing")
    randomised = expect_tensor(_ran(observed["randomised"]), "the output with changed adapters",
                               shape=tuple(before.shape))
    expect(not bool(torch.allclose(randomised.detach(), before)),
           "changing the adapters does not change the output: the LoRALinear layers are not "
           "used by forward. " + PARENT)


@pytest.mark.weight(2)
def test_only_adapters_trainable(observed):
    """freezes every parameter except the new adapters, which stay trainable"""
    names = _names(observed["names"])
    _reported(names, _replaced(scenes.toy(5), ["q_proj", "v_proj"]), ["q_proj", "v_proj"])
    trainable = sorted(observed["trainable"])
    # The adapters of the layers inject_lora says it replaced.
    want = sorted(f"{n}.{a}" for n in names for a in ("lora_A", "lora_B"))
    missing = sorted(set(want) - set(trainable))
    extra = sorted(set(trainable) - set(want))
    expect(not missing, f"adapters are frozen: {missing[:4]}: freeze the model's parameters "
                        "first, then inject (freezing afterwards freezes the new adapters too)")
    expect(not extra, f"parameters outside the adapters still train: {extra[:4]}: freeze every "
                      "parameter of the model (model.parameters()), not only the wrapped layers")


@pytest.mark.parametrize("r,alpha,dropout", [(2, 4.0, 0.0), (4, 1.0, 0.25)])
def test_passes_r_alpha_dropout(observed, r, alpha, dropout):
    """creates each adapter with the given r, alpha and dropout"""
    names = _names(observed["names"])
    expect(sorted(names) == _replaced(scenes.toy(6), ["q_proj"]),
           f"expected 2 layers named q_proj to be replaced, got {names}")
    for name in names:
        seen = observed["adapters"][name]
        expect(seen["lora"] is True, f"{name!r} was not replaced: " + PARENT)
        expect(seen["lora_A_shape"] == (r, 8) and math.isclose(seen["scaling"], alpha / r)
               and math.isclose(seen["dropout"], dropout),
               f"the adapter at {name!r} has r={seen['lora_A_shape'][0]}, "
               f"scaling={seen['scaling']}, dropout={seen['dropout']}; expected r={r}, "
               f"alpha / r={alpha / r}, dropout={dropout}: pass r, alpha and dropout on to "
               "LoRALinear")


def test_regex_targets_skip_non_linear(observed):
    """with a regex, replaces matching nn.Linear layers and leaves matching blocks alone"""
    names = _names(observed["names"])
    want = sorted(f"layers.{i}.attn.{p}_proj" for i in range(2) for p in "qkvo")
    expect(sorted(names) == want,
           f"with the regex '.*attn.*' the replaced layers should be {want}, got {sorted(names)}: "
           "use re.fullmatch on the full name and replace only nn.Linear modules")
    expect(observed["blocks_kept"] == [True, True],
           "the attention blocks themselves were replaced: only nn.Linear layers are wrapped")


def test_sequential_children(observed):
    """replaces items of nn.Sequential / nn.ModuleList (names like '0' and 'blocks.1.0')"""
    names = _names(observed["names"])
    expect(sorted(names) == ["0", "2.2"],
           f"expected the layers '0' and '2.2' to be replaced, got {names}")
    expect(observed["lora"]["0"] is True and observed["lora"]["2.2"] is True,
           "the Sequential items were not replaced: " + PARENT)
    expect(observed["linear_2_0"] is True, "'2.0' does not match r'0|2\\.2' but was replaced")


@pytest.mark.weight(2)
def test_no_match_raises_and_leaves_model(observed):
    """raises ValueError when nothing matches, before changing the model"""
    expect(observed["raised"] == "ValueError",
           "no layer matches ['query', 'value'] but inject_lora did not raise ValueError: "
           "a typo in target_modules would silently train nothing")
    flags = observed["requires_grad"]
    count = len(list(scenes.toy(9).parameters()))
    expect(len(flags) == count,
           f"the model has {len(flags)} parameters after inject_lora raised, expected {count}: "
           "raise before changing anything")
    expect(all(flag is True for flag in flags),
           "inject_lora froze the model before finding out that nothing matches: collect the "
           "matching names first and raise before changing anything")


# ------------------------------------------------------------------------------ state dict, merge


@pytest.mark.weight(2)
def test_lora_state_dict(observed):
    """lora_state_dict holds only the adapters, with full keys, and loads into a fresh model"""
    names = _names(observed["names"])
    _reported(names, _replaced(scenes.toy(10), ["q_proj", "v_proj"]), ["q_proj", "v_proj"])
    sd = _ran(observed["sd"])
    expect_type(sd, (dict, OrderedDict), "lora_state_dict's return value",
                hint="return a dict of name -> tensor, like model.state_dict()")
    want = sorted(f"{n}.{a}" for n in names for a in ("lora_A", "lora_B"))
    expect(sorted(sd) == want,
           f"the keys should be exactly the adapters' full state_dict keys, e.g. {want[:2]}, got "
           f"{sorted(sd)[:6]}{' ...' if len(sd) > 6 else ''} ({len(sd)} keys): filter "
           "model.state_dict() to the lora_A / lora_B entries, keeping the full names")
    full = observed["full"]
    for key in want:
        expect_tensor(sd[key], f"the entry {key!r}", requires_grad=False,
                      hint="store detached tensors, as model.state_dict() does, not the parameters")
        # The model's own adapters: lora_A is its random init.
        assert_close(sd[key], expect_tensor(full[key], f"the model's {key!r}"),
                     what=f"the entry {key!r}")
    fresh = _ran(observed["fresh"])
    expect(not fresh["unexpected"], f"unexpected keys when loading: {fresh['unexpected'][:3]}")
    model_out = expect_tensor(fresh["model_out"], "the model's output")
    assert_close(fresh["out"], model_out,
                 what="a fresh model's output after loading the adapters")


@pytest.mark.weight(3)
def test_merge_lora(observed, device):
    """merge_lora turns every LoRALinear back into an nn.Linear with identical outputs"""
    names = _names(observed["names"])
    targets = ["q_proj", "v_proj", "0"]
    _reported(names, _replaced(scenes.toy(13), targets), targets)
    before = expect_tensor(_ran(observed["before"]), "the LoRA model's output")
    expect(_ran(observed["merge"])["returned_model"] is True,
           "merge_lora should change the model in place and return it")
    extra = observed["dotted_children"]
    expect(not extra, f"the model got children with dotted names {extra}: " + PARENT)
    left = observed["lora_left"]
    expect(not left, f"LoRALinear layers are left after merging: {left[:3]}: find them with "
                     "model.named_modules(), at every depth, and set each merged() on its parent")
    for name in names:
        seen = observed["types"][name]
        expect(seen["linear"] is True,
               f"{name!r} is a {seen['type']} after merging, not an nn.Linear")
    assert_close(_ran(observed["after"]), before, what="the output after merging",
                 hint="the merged model must compute exactly what the LoRA model computed")
    for name, module in scenes.toy(13).named_modules():
        if not isinstance(module, nn.Linear):
            expect(observed["same"][name] is True, f"{name!r} was replaced by merge_lora: "
                                                   "only LoRALinear layers are merged")
