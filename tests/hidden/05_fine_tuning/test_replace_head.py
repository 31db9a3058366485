"""Hidden tests for 05_fine_tuning/replace_head: the checks. The scenarios are in
observe_replace_head.py."""

import pytest
import torch
from torch import nn

from grader.checks import assert_equal_tensors, expect, expect_tensor, expect_type, fail
from grader.observe import scenarios_of

scenes = scenarios_of(__file__)

NEW_LAYER = ("build a new nn.Linear(old.in_features, num_classes): changing out_features (or "
             "another attribute) on the old layer does not resize its weight")


def _head(seen):
    """The facts of replace_head's result, which must be an nn.Linear."""
    if seen["linear"] is not True:
        expect_type(seen["returned"], nn.Linear, "replace_head's result",
                    hint="return the new nn.Linear head")
    return seen


def _ran(seen):
    """What a call after replace_head returned; its error, if it raised."""
    if "error" in seen:
        fail(seen["error"])
    return seen["value"]


@pytest.mark.parametrize("attr,feat,classes,n", [("head", 12, 7, 3), ("fc", 8, 1000, 10),
                                                 ("classifier", 20, 2, 37), ("fc", 4, 6, 1)])
def test_new_head_shapes(observed, attr, feat, classes, n):
    """the new head maps the old head's in_features to num_classes"""
    new = _head(observed)
    expect(new["in_features"] == feat,
           f"the new head's in_features is {new['in_features']}, expected {feat}: take "
           "in_features from the old head (old.in_features, or weight.shape[1]: an nn.Linear "
           "weight is (out_features, in_features))")
    expect(new["out_features"] == n, f"the new head's out_features is {new['out_features']}, "
                                     f"expected {n}: the new head outputs num_classes")
    expect_tensor(new["weight"], "the new head's weight", shape=(n, feat), hint=NEW_LAYER)
    expect_tensor(new["bias"], "the new head's bias", shape=(n,), hint=NEW_LAYER)


@pytest.mark.parametrize("attr", ["head", "fc", "classifier"])
def test_installed_under_attr_name(observed, attr):
    """the new head replaces the attribute named attr_name and the model uses it"""
    _head(observed["head"])
    expect(observed["installed"] is True,
           f"model.{attr} is not the returned head: install it with setattr(model, attr_name, new) "
           "(`model.attr_name = new` makes an attribute literally called 'attr_name')")
    expect("attr_name" not in observed["modules"],
           "the model got a submodule literally called 'attr_name': use "
           "setattr(model, attr_name, new)")
    want = sorted(name for name, _ in scenes.net(1, attr=attr, feat=10, classes=4).named_modules())
    got = sorted(observed["modules"])
    expect(got == want, f"the model's submodules are {got}, expected {want}: replace only the "
                        "head, with setattr(model, attr_name, new)")
    expect(observed["new_registered"] is True and observed["old_registered"] is False,
           "model.parameters() should hold the new head's parameters, not the old head's: "
           "install the new head with setattr so it is registered")
    expect_tensor(_ran(observed["output"]), "the model's output after replacing the head",
                  shape=(3, 6))


@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no_bias"])
def test_bias_kept_as_before(observed, bias):
    """the new head has a bias exactly when the old head had one"""
    has_bias = _head(observed)["bias"] is not None
    expect(has_bias == bias,
           f"the old head {'had' if bias else 'had no'} bias but the new one "
           f"{'has one' if has_bias else 'has none'}: keep the old head's design, "
           "bias=old.bias is not None")


@pytest.mark.parametrize("dtype", [torch.float64, torch.bfloat16, torch.float16])
def test_dtype_of_the_model(observed, dtype):
    """the new head is created in the model's dtype"""
    new = _head(observed["head"])
    for name in ("weight", "bias"):
        expect_tensor(new[name], f"the new head's {name}", dtype=dtype,
                      hint="create the layer in the backbone's dtype (dtype=old.weight.dtype): "
                           "nn.Linear alone makes float32 parameters")
    if dtype != torch.float16:  # no float16 matmul guarantee on every CPU build
        expect_tensor(_ran(observed["output"]), "the model's output", shape=(2, 3), dtype=dtype)


def test_meta_device(observed):
    """a model on the meta device gets its new head on the meta device"""
    new = _head(observed)
    for name in ("weight", "bias"):
        expect_tensor(new[name], f"the new head's {name}", device="meta",
                      shape=(21, 2048) if name == "weight" else (21,),
                      hint="create the layer on the backbone's device (device=old.weight.device): "
                           "nn.Linear alone puts it on the CPU")


def test_device_of_the_model(observed, device):
    """the new head lives on the model's device and runs there"""
    new = _head(observed["head"])
    expect_tensor(new["weight"], "the new head's weight", device=device,
                  hint="create the layer on the backbone's device (device=old.weight.device)")
    expect_tensor(_ran(observed["output"]), "the model's output", shape=(6, 5), device=device)


def test_new_head_is_trainable(observed):
    """the new head trains even when the rest of the model was frozen"""
    new = _head(observed["head"])
    expect(new["weight"].requires_grad and (new["bias"] is None or new["bias"].requires_grad),
           "the new head is frozen: a new head must be trainable (requires_grad True), even if the "
           "old model was frozen; do not copy requires_grad from the old head")
    names = sorted(observed["requires_grad"])
    want = sorted(n for n, _ in scenes.net(5).named_parameters())
    expect(names == want, f"the model's parameters are {names}, expected {want}: only swap the "
                          "head, keeping its bias as before")
    frozen_elsewhere = [n for n, flag in observed["requires_grad"].items()
                        if not n.startswith("head.") and flag]
    expect(frozen_elsewhere == [], "replace_head changed requires_grad of the rest of the model: "
                                   f"{frozen_elsewhere}; only swap the head")
    _ran(observed["backward"])
    expect(observed["weight_grad"] is not None, "no gradient reached the new head: it must be "
                                                "installed on the model and require grad")


def test_old_head_not_reused(observed):
    """the new head is a new layer; the old head is left exactly as it was"""
    _head(observed["head"])
    old = scenes.net(6, classes=7).head
    expect(observed["new_is_old"] is False, f"the old head was reused and changed in place: "
                                            f"{NEW_LAYER}; the old head must stay as it was")
    expect(observed["old_params_kept"] is True and observed["old_out_features"] == 7,
           "the old head was modified: build a new layer and leave the old head as it was "
           "(the caller may still hold it)")
    assert_equal_tensors(observed["old_weight"], old.weight.detach(), what="the old head's weight",
                         hint="the old head must not change")
    assert_equal_tensors(observed["old_bias"], old.bias.detach(), what="the old head's bias",
                         hint="the old head must not change")
    expect(observed["new_storage"] != observed["old_storage"],
           "the new head's weight shares memory with the old head's: make a fresh layer")


def test_rest_of_model_untouched(observed):
    """the backbone keeps its parameters, values and requires_grad"""
    for name, p in scenes.partly_frozen_net().named_parameters():
        if name.startswith("head."):
            continue
        seen = observed[name]
        expect(seen["same_object"] is True,
               f"parameter {name!r} was replaced: change only the head")
        assert_equal_tensors(seen["value"], p.detach(), what=f"parameter {name!r}",
                             hint="replace_head must not change the backbone")
        expect(seen["requires_grad"] is p.requires_grad,
               f"requires_grad of {name!r} changed: change only the head")


@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
def test_mode_follows_the_old_head(observed, training):
    """the new head is in the old head's train/eval mode"""
    new_training = _head(observed)["training"]
    expect(new_training is training,
           f"the model was in {'train' if training else 'eval'} mode but the new head is in "
           f"{'train' if new_training else 'eval'} mode: new modules start in train mode; "
           "match the old head's train/eval mode with new.train(old.training)")
