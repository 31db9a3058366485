"""Hidden tests for 05_fine_tuning/replace_head."""

import pytest
import torch
from torch import nn

from grader.checks import (
    assert_equal_tensors,
    expect,
    expect_tensor,
    expect_type,
    explain,
    manual_seed,
)

ATTR_ERRORS = {r"has no attribute": "the head's name is in attr_name: read it with "
                                    "getattr(model, attr_name), not a fixed model.head"}
NEW_LAYER = ("build a new nn.Linear(old.in_features, num_classes): changing out_features (or "
             "another attribute) on the old layer does not resize its weight")


class Net(nn.Module):
    """backbone -> proj -> <attr> head; `attr` is the head's attribute name."""

    def __init__(self, attr="head", d_in=5, feat=12, classes=7, bias=True):
        super().__init__()
        self.attr = attr
        self.backbone = nn.Sequential(nn.Linear(d_in, 9), nn.ReLU(), nn.Linear(9, feat))
        self.proj = nn.Linear(feat, feat)
        setattr(self, attr, nn.Linear(feat, classes, bias=bias))

    def forward(self, x):
        return getattr(self, self.attr)(torch.tanh(self.proj(self.backbone(x))))


def _net(seed=0, **kwargs):
    manual_seed(seed)
    return Net(**kwargs)


def _replace(kata, model, attr, n):
    with explain(ATTR_ERRORS):
        new = kata.replace_head(model, attr, n)
    expect_type(new, nn.Linear, "replace_head's result", hint="return the new nn.Linear head")
    return new


@pytest.mark.parametrize("attr,feat,classes,n", [("head", 12, 7, 3), ("fc", 8, 1000, 10),
                                                 ("classifier", 20, 2, 37), ("fc", 4, 6, 1)])
def test_new_head_shapes(kata, attr, feat, classes, n):
    """the new head maps the old head's in_features to num_classes"""
    model = _net(attr=attr, feat=feat, classes=classes)
    new = _replace(kata, model, attr, n)
    expect(new.in_features == feat, f"the new head's in_features is {new.in_features}, expected "
                                    f"{feat}: take in_features from the old head (old.in_features, "
                                    "or weight.shape[1]: an nn.Linear weight is (out_features, in_features))")
    expect(new.out_features == n, f"the new head's out_features is {new.out_features}, expected {n}: "
                                  "the new head outputs num_classes")
    expect_tensor(new.weight.detach(), "the new head's weight", shape=(n, feat), hint=NEW_LAYER)
    expect_tensor(new.bias.detach(), "the new head's bias", shape=(n,), hint=NEW_LAYER)


@pytest.mark.parametrize("attr", ["head", "fc", "classifier"])
def test_installed_under_attr_name(kata, attr):
    """the new head replaces the attribute named attr_name and the model uses it"""
    model = _net(1, attr=attr, feat=10, classes=4)
    old = getattr(model, attr)
    new = _replace(kata, model, attr, 6)
    expect(getattr(model, attr) is new,
           f"model.{attr} is not the returned head: install it with setattr(model, attr_name, new) "
           "(`model.attr_name = new` makes an attribute literally called 'attr_name')")
    expect("attr_name" not in dict(model.named_modules()),
           "the model got a submodule literally called 'attr_name': use setattr(model, attr_name, new)")
    ids = {id(p) for p in model.parameters()}
    expect(id(new.weight) in ids and id(old.weight) not in ids,
           "model.parameters() should hold the new head's parameters, not the old head's: "
           "install the new head with setattr so it is registered")
    expect_tensor(model(torch.randn(3, 5)), "the model's output after replacing the head", shape=(3, 6))


@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no_bias"])
def test_bias_kept_as_before(kata, bias):
    """the new head has a bias exactly when the old head had one"""
    model = _net(2, bias=bias)
    new = _replace(kata, model, "head", 4)
    expect((new.bias is not None) == bias,
           f"the old head {'had' if bias else 'had no'} bias but the new one "
           f"{'has one' if new.bias is not None else 'has none'}: keep the old head's design, "
           "bias=old.bias is not None")


@pytest.mark.parametrize("dtype", [torch.float64, torch.bfloat16, torch.float16])
def test_dtype_of_the_model(kata, dtype):
    """the new head is created in the model's dtype"""
    model = _net(3).to(dtype)
    new = _replace(kata, model, "head", 3)
    for name in ("weight", "bias"):
        expect_tensor(getattr(new, name).detach(), f"the new head's {name}", dtype=dtype,
                      hint="create the layer in the backbone's dtype (dtype=old.weight.dtype): "
                           "nn.Linear alone makes float32 parameters")
    if dtype != torch.float16:  # no float16 matmul guarantee on every CPU build
        out = model(torch.randn(2, 5, dtype=dtype))
        expect_tensor(out, "the model's output", shape=(2, 3), dtype=dtype)


def test_meta_device(kata):
    """a model on the meta device gets its new head on the meta device"""
    with torch.device("meta"):
        model = Net(feat=2048, classes=1000)
    new = _replace(kata, model, "head", 21)
    for name in ("weight", "bias"):
        expect_tensor(getattr(new, name).detach(), f"the new head's {name}", device="meta", shape=(21, 2048)
                      if name == "weight" else (21,),
                      hint="create the layer on the backbone's device (device=old.weight.device): "
                           "nn.Linear alone puts it on the CPU")


def test_device_of_the_model(kata, device):
    """the new head lives on the model's device and runs there"""
    model = _net(4).to(device)
    new = _replace(kata, model, "head", 5)
    expect_tensor(new.weight.detach(), "the new head's weight", device=device,
                  hint="create the layer on the backbone's device (device=old.weight.device)")
    out = model(torch.randn(6, 5, device=device))
    expect_tensor(out, "the model's output", shape=(6, 5), device=device)


def test_new_head_is_trainable(kata):
    """the new head trains even when the rest of the model was frozen"""
    model = _net(5)
    for p in model.parameters():
        p.requires_grad_(False)
    new = _replace(kata, model, "head", 4)
    expect(new.weight.requires_grad and (new.bias is None or new.bias.requires_grad),
           "the new head is frozen: a new head must be trainable (requires_grad True), even if the "
           "old model was frozen; do not copy requires_grad from the old head")
    frozen_elsewhere = [n for n, p in model.named_parameters()
                        if not n.startswith("head.") and p.requires_grad]
    expect(frozen_elsewhere == [], "replace_head changed requires_grad of the rest of the model: "
                                   f"{frozen_elsewhere}; only swap the head")
    model(torch.randn(3, 5)).sum().backward()
    expect(new.weight.grad is not None, "no gradient reached the new head: it must be installed "
                                        "on the model and require grad")


def test_old_head_not_reused(kata):
    """the new head is a new layer; the old head is left exactly as it was"""
    model = _net(6, classes=7)
    old = model.head
    old_w, old_b = old.weight.detach().clone(), old.bias.detach().clone()
    old_params = (old.weight, old.bias)
    new = _replace(kata, model, "head", 3)
    expect(new is not old, f"the old head was reused and changed in place: {NEW_LAYER}; the "
                           "old head must stay as it was")
    expect(old.weight is old_params[0] and old.bias is old_params[1] and old.out_features == 7,
           "the old head was modified: build a new layer and leave the old head as it was "
           "(the caller may still hold it)")
    assert_equal_tensors(old.weight.detach(), old_w, what="the old head's weight",
                         hint="the old head must not change")
    assert_equal_tensors(old.bias.detach(), old_b, what="the old head's bias",
                         hint="the old head must not change")
    expect(new.weight.untyped_storage().data_ptr() != old.weight.untyped_storage().data_ptr(),
           "the new head's weight shares memory with the old head's: make a fresh layer")


def test_rest_of_model_untouched(kata):
    """the backbone keeps its parameters, values and requires_grad"""
    model = _net(7)
    model.backbone[0].weight.requires_grad_(False)
    before = {n: (p, p.detach().clone(), p.requires_grad) for n, p in model.named_parameters()
              if not n.startswith("head.")}
    _replace(kata, model, "head", 2)
    for name, (p, value, flag) in before.items():
        now = dict(model.named_parameters()).get(name)
        expect(now is p, f"parameter {name!r} was replaced: change only the head")
        assert_equal_tensors(p.detach(), value, what=f"parameter {name!r}",
                             hint="replace_head must not change the backbone")
        expect(p.requires_grad == flag, f"requires_grad of {name!r} changed: change only the head")


@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
def test_mode_follows_the_old_head(kata, training):
    """the new head is in the old head's train/eval mode"""
    model = _net(8).train(training)
    new = _replace(kata, model, "head", 3)
    expect(new.training == training,
           f"the model was in {'train' if training else 'eval'} mode but the new head is in "
           f"{'train' if new.training else 'eval'} mode: new modules start in train mode; "
           "match the old head's train/eval mode with new.train(old.training)")
