"""Hidden tests for 05_fine_tuning/freeze."""

import pytest
import torch
from torch import nn

from grader.checks import assert_equal_tensors, expect, expect_type, manual_seed

NOTHING_FROZEN = ("nothing was frozen: set requires_grad False on each parameter itself "
                  "(for p in module.parameters(): p.requires_grad_(False)). "
                  "`module.requires_grad = False` sets an unused attribute that nothing reads, "
                  "module.eval() does not freeze (it switches dropout/batch-norm mode), and "
                  "tensors from state_dict() are detached copies")
NESTED_MISSED = ("nested parameters were missed: module.children() lists only the direct children "
                 "(and parameters(recurse=False) only the module's own); module.parameters() walks "
                 "every submodule at any depth")


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


def _deep(seed=0, d=6):
    manual_seed(seed)
    return Deep(d)


def _unique_numel(module, trainable_only=False):
    seen = {}
    for _, p in module.named_parameters():  # trusted: deduplicated by torch
        if p.requires_grad or not trainable_only:
            seen[id(p)] = p.numel()
    return sum(seen.values())


def _still_trainable(model):
    return [n for n, p in model.named_parameters() if p.requires_grad]


def _check_all_frozen(model, what):
    names = [n for n, _ in model.named_parameters()]
    left = _still_trainable(model)
    expect(left != names or not names, f"{NOTHING_FROZEN} ({what})")
    expect(left == [], f"{NESTED_MISSED}. Still trainable in {what}: {left}")


def test_freeze_every_parameter_nested(kata, device):
    """freeze switches requires_grad off on every parameter, at every depth"""
    model = _deep().to(device)
    kata.freeze(model)
    _check_all_frozen(model, "a model nested three deep")
    for name, p in model.named_parameters():
        expect(p.device.type == torch.device(device).type,
               f"parameter {name!r} was moved off its device: freezing only flips requires_grad")


@pytest.mark.parametrize("make", [lambda: nn.Linear(4, 3), lambda: nn.LayerNorm(7),
                                  lambda: nn.Conv1d(2, 3, 3)], ids=["linear", "layernorm", "conv"])
def test_freeze_a_single_layer(kata, make):
    """freeze works on a single layer, which has parameters but no children"""
    layer = make()
    kata.freeze(layer)
    _check_all_frozen(layer, f"a single {type(layer).__name__}, which has no children")


def test_unfreeze_every_parameter_nested(kata, device):
    """unfreeze switches requires_grad back on for every parameter, at every depth"""
    model = _deep(1).to(device)
    for p in model.parameters():
        p.requires_grad_(False)
    kata.unfreeze(model)
    stuck = [n for n, p in model.named_parameters() if not p.requires_grad]
    names = [n for n, _ in model.named_parameters()]
    expect(stuck != names, "nothing was unfrozen: set requires_grad True on each parameter "
                           "(p.requires_grad_(True)); a `module.requires_grad` attribute, "
                           "module.train() or state_dict() copies change nothing")
    expect(stuck == [], f"{NESTED_MISSED}. Still frozen after unfreeze: {stuck}")


def test_returns_the_module(kata):
    """freeze and unfreeze return the module they were given"""
    model = _deep(2)
    result = kata.freeze(model)
    expect(result is model, "freeze should return the module it was given (like "
                            f"nn.Module.requires_grad_), so calls can chain; got {type(result).__name__}")
    result = kata.unfreeze(model)
    expect(result is model, "unfreeze should return the module it was given (like "
                            f"nn.Module.requires_grad_), so calls can chain; got {type(result).__name__}")


def test_frozen_model_gets_no_gradients(kata, device):
    """after freeze, backward() leaves every parameter's .grad None but still reaches the input"""
    model = _deep(3).to(device)
    kata.freeze(model)
    x = torch.randn(5, 6, device=device, requires_grad=True)
    model(x).pow(2).sum().backward()
    got = [n for n, p in model.named_parameters() if p.grad is not None]
    expect(got == [], f"{NOTHING_FROZEN}. These parameters still received gradients: {got}")
    expect(x.grad is not None, "gradients no longer flow through the frozen model: freeze the "
                               "parameters only; do not detach or disable autograd")


@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
def test_mode_is_unchanged(kata, training):
    """freeze and unfreeze leave train/eval mode as it was"""
    model = _deep(4).train(training)
    kata.freeze(model)
    modes = {n for n, m in model.named_modules() if m.training != training}
    expect(modes == set(), "freeze changed train/eval mode: module.eval() does not freeze, and "
                           f"freezing must not switch modes. Changed: {sorted(modes)}")
    kata.unfreeze(model)
    modes = {n for n, m in model.named_modules() if m.training != training}
    expect(modes == set(), "unfreeze changed train/eval mode: module.train() is not unfreezing, "
                           f"and unfreezing must not switch modes. Changed: {sorted(modes)}")


def test_parameters_and_buffers_kept(kata):
    """freeze and unfreeze keep the same parameter objects, values and buffers"""
    model = _deep(5)
    model(torch.randn(8, 6))  # fills BatchNorm running statistics
    before = {n: (p, p.detach().clone()) for n, p in model.named_parameters()}
    buffers = {n: b.clone() for n, b in model.named_buffers()}
    kata.freeze(model)
    kata.unfreeze(model)
    for name, p in model.named_parameters():
        expect(p is before[name][0], f"parameter {name!r} was replaced by a new tensor: an "
                                     "optimizer holding the old one would no longer train it. "
                                     "Flip requires_grad on the existing parameter")
        assert_equal_tensors(p.detach(), before[name][1], what=f"parameter {name!r}",
                             hint="freezing must not change parameter values")
    for name, b in model.named_buffers():
        expect(not b.requires_grad, f"buffer {name!r} now requires grad: buffers (BatchNorm "
                                    "running statistics) are not parameters; unfreeze only "
                                    "module.parameters()")
        assert_equal_tensors(b, buffers[name], what=f"buffer {name!r}",
                             hint="freeze/unfreeze must leave buffers alone")


def test_freeze_only_the_given_submodule(kata):
    """freezing a submodule leaves the rest trainable; unfreezing a part unfreezes only that part"""
    model = _deep(6)
    kata.freeze(model.body)
    left = set(_still_trainable(model))
    want = {"scale", "stem.weight", "stem.bias", "head.weight", "head.bias"}
    expect(left == want, f"freeze(model.body) should freeze exactly the body's parameters: "
                         f"trainable now {sorted(left)}, expected {sorted(want)}. "
                         "Touch only module.parameters() of the module given")
    kata.unfreeze(model.body[2])
    left = set(_still_trainable(model))
    want |= {"body.2.1.weight", "body.2.1.bias", "body.2.2.weight", "body.2.2.bias"}
    expect(left == want, f"unfreeze(model.body[2]) should unfreeze exactly that block: "
                         f"trainable now {sorted(left)}, expected {sorted(want)}")


def _count(kata, model, **kwargs):
    result = kata.count_parameters(model, **kwargs)
    expect_type(result, int, "count_parameters(...)",
                hint="return a Python int: sum(p.numel() for ...) gives one; call int(...) on a tensor")
    return result


@pytest.mark.parametrize("dims", [(3, 4, 2), (10, 7, 5), (1, 1, 1)])
def test_counts_elements(kata, dims):
    """counts parameter elements (numel), not tensors or rows"""
    a, b, c = dims
    model = nn.Sequential(nn.Linear(a, b), nn.ReLU(), nn.Sequential(nn.Linear(b, c), nn.LayerNorm(c)))
    got = _count(kata, model)
    want = _unique_numel(model)
    expect(got == want, f"count the elements of each parameter with p.numel(), not the number "
                        f"of tensors or rows: got {got}, expected {want} for {model}")


def test_shared_parameter_counted_once(kata):
    """a parameter shared by two submodules (tied weights) counts once"""
    model = Tied(11, 5)
    got = _count(kata, model)
    want = _unique_numel(model)  # 55 + 30, the 55 shared elements once
    expect(got == want, f"a shared parameter (tied weights) was counted twice, or not counted: "
                        f"model.parameters() yields each parameter once, but walking every "
                        f"submodule and its own parameters meets it in both. Got {got}, expected {want}")


def test_buffers_not_counted(kata):
    """buffers such as BatchNorm's running statistics are not counted"""
    model = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.Linear(6, 2))
    got = _count(kata, model)
    want = _unique_numel(model)
    expect(got == want, "buffers were counted (BatchNorm's running_mean, running_var, "
                        "num_batches_tracked are buffers, as in state_dict()): count only "
                        f"module.parameters(). Got {got}, expected {want}")


def test_trainable_only(kata):
    """trainable_only=True counts only parameters with requires_grad True"""
    model = _deep(7)
    for p in model.body.parameters():
        p.requires_grad_(False)
    got = _count(kata, model, trainable_only=True)
    want = _unique_numel(model, trainable_only=True)
    expect(got == want, "trainable_only=True must count only the parameters with requires_grad "
                        "True (whether .grad is set does not matter): "
                        f"got {got}, expected {want}")
    tied = Tied(9, 4)
    tied.embed.weight.requires_grad_(False)
    got = _count(kata, tied, trainable_only=True)
    want = _unique_numel(tied, trainable_only=True)
    expect(got == want, "trainable_only=True must skip a frozen shared weight, counting the "
                        f"trainable parameters once each: got {got}, expected {want}")


def test_default_counts_frozen_parameters(kata):
    """by default every parameter counts, frozen or not"""
    model = _deep(8)
    for p in model.parameters():
        p.requires_grad_(False)
    got = _count(kata, model)
    want = _unique_numel(model)
    expect(got == want, "with trainable_only=False (the default) count every parameter, frozen "
                        f"ones too: got {got}, expected {want}")
    expect(_count(kata, model, trainable_only=True) == 0,
           "trainable_only=True on a fully frozen model should give 0: skip parameters with "
           "requires_grad False")
    expect(_count(kata, nn.ReLU()) == 0, "a module without parameters has 0 of them")


def test_meta_device_model(kata):
    """freezes and counts a large model on the meta device without allocating it"""
    with torch.device("meta"):
        model = nn.Sequential(nn.Embedding(50_000, 1024), nn.Linear(1024, 4096), nn.Linear(4096, 1024))
    want = _unique_numel(model)
    expect(_count(kata, model) == want, f"count_parameters on a meta-device model should be {want}: "
                                        "count with p.numel(), which needs no values")
    kata.freeze(model)
    _check_all_frozen(model, "a meta-device model")
    expect(_count(kata, model, trainable_only=True) == 0,
           "after freeze, trainable_only=True should count 0 parameters")
    for name, p in model.named_parameters():
        expect(p.device.type == "meta", f"parameter {name!r} left the meta device: freezing only "
                                        "flips requires_grad")
