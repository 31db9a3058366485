"""Hidden tests for 04_architectures/simple_cnn.

Synthetic image tasks are generated here, seeded: a bright square in one of four quadrants
(1 channel) and horizontal vs vertical coloured bars (3 channels). Training uses the test's own
loop (Adam, fixed budget), never the kata's helper.
"""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from grader.checks import (
    assert_close,
    assert_equal_tensors,
    expect,
    expect_tensor,
    explain,
    manual_seed,
)

SHAPE_ERRORS = {
    r"mat1 and mat2 shapes cannot be multiplied|size mismatch|shapes cannot be multiplied":
        "the Linear head got a different number of features than it was built for: flatten each "
        "sample with start_dim=1 (keep the batch dimension), and compute in_features from "
        "image_size (two 2x2 poolings: 16 * (image_size // 4) ** 2), do not hard-code it",
    r"expected input.* to have \d+ channels":
        "the first Conv2d's in_channels must be the in_channels argument, and each next Conv2d's "
        "in_channels the previous one's out_channels",
}


def _images(shape, seed, device="cpu"):
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed)).to(device)


def _build(kata, in_channels, num_classes, image_size, seed=0):
    manual_seed(seed)
    model = kata.SimpleCNN(in_channels, num_classes, image_size)
    expect(isinstance(model, nn.Module), "SimpleCNN must be an nn.Module subclass")
    return model


def _forward(model, x):
    with explain(SHAPE_ERRORS):
        return model(x)


def test_output_shape(kata):
    """returns (B, num_classes) float32 logits for several batch, channel and image sizes"""
    for b, c, k, s in [(1, 1, 4, 12), (5, 3, 10, 16), (2, 2, 3, 13), (3, 1, 2, 8), (4, 3, 7, 28)]:
        model = _build(kata, c, k, s)
        out = _forward(model, _images((b, c, s, s), b + s))
        expect_tensor(out, f"the output for a batch of {b} images of shape ({c}, {s}, {s})",
                      shape=(b, k), dtype=torch.float32,
                      hint="forward should return one row of num_classes scores per image, (B, "
                           "num_classes): keep the batch dimension (flatten(1), no squeeze())")


def test_runs_on_the_models_device(kata, device):
    """runs on the device the model and input are on"""
    model = _build(kata, 3, 5, 16).to(device)
    out = _forward(model, _images((4, 3, 16, 16), 1, device))
    expect_tensor(out, "the output", shape=(4, 5), device=device,
                  hint="create nothing on a fixed device in forward: the output must be on the input's device")


def test_works_on_the_meta_device(kata):
    """moves to the meta device with .to() and keeps the computation there"""
    model = _build(kata, 1, 4, 12)
    _forward(model, _images((2, 1, 12, 12), 2))  # materialise lazy layers, if any
    model = model.to("meta")
    out = _forward(model, torch.empty(3, 1, 12, 12, device="meta"))
    expect_tensor(out, "the output on the meta device", shape=(3, 4), device="meta",
                  hint="every layer must be a registered submodule (so .to(device) moves it) and "
                       "forward must not create tensors on a fixed device")


def test_has_convolution_layers(kata):
    """has at least two Conv2d layers"""
    model = _build(kata, 1, 4, 12)
    _forward(model, _images((2, 1, 12, 12), 3))
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    expect(len(convs) >= 2,
           f"the model has {len(convs)} nn.Conv2d layer(s): build two conv blocks "
           "(Conv2d -> ReLU -> MaxPool2d), created in __init__")


def test_relu_between_layers(kata):
    """passes conv features through ReLU before the next conv and the head"""
    model = _build(kata, 1, 4, 12)
    seen = []

    def record(module, args):
        seen.append((type(module).__name__, float(args[0].detach().min())))

    layers = [m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    handles = [m.register_forward_pre_hook(record) for m in layers]
    try:
        _forward(model, _images((8, 1, 12, 12), 4))
    finally:
        for h in handles:
            h.remove()
    expect(len(seen) >= 3, "the model should call at least two Conv2d layers and a Linear head in forward")
    negative = [f"{name} #{i} (min {low:.3g})" for i, (name, low) in enumerate(seen) if i > 0 and low < 0]
    expect(not negative,
           "the features entering a later layer have negative values, so no ReLU was applied after "
           "the convolution before it: put nn.ReLU() (or F.relu) after each Conv2d. Negative inputs "
           "reached: " + ", ".join(negative))


def test_parameters_are_registered_and_few(kata):
    """registers its layers as parameters, and pools to keep the head small"""
    small = _build(kata, 1, 4, 12)
    _forward(small, _images((2, 1, 12, 12), 5))
    expect(sum(p.numel() for p in small.parameters()) > 0,
           "model.parameters() is empty: create the layers in __init__ (self.conv = nn.Conv2d(...)), "
           "not inside forward(), or the optimizer has nothing to train")
    big = _build(kata, 3, 10, 64)
    _forward(big, _images((1, 3, 64, 64), 6))
    count = sum(p.numel() for p in big.parameters())
    expect(count <= 150_000,
           f"SimpleCNN(3, 10, 64) has {count:,} parameters, more than 150,000: pool after each conv "
           "block (nn.MaxPool2d(2)) so that the feature map shrinks before the Linear head")


def test_returns_logits_not_probabilities(kata):
    """returns raw logits, not softmax probabilities or log-probabilities"""
    model = _build(kata, 1, 4, 12)
    out = _forward(model, _images((16, 1, 12, 12), 7)).detach()
    probabilities = bool((out >= 0).all()) and bool(torch.allclose(out.sum(1), torch.ones(16), atol=1e-4))
    log_probabilities = bool((out <= 0).all()) and bool(
        torch.allclose(out.exp().sum(1), torch.ones(16), atol=1e-4))
    expect(not probabilities and not log_probabilities,
           "forward returns (log-)probabilities: return the raw scores (logits) of the Linear head; "
           "F.cross_entropy applies log-softmax itself, so a softmax here is applied twice")


def test_samples_are_independent(kata):
    """scores each image on its own: the batch does not mix samples"""
    model = _build(kata, 2, 3, 12).eval()
    x = _images((6, 2, 12, 12), 8)
    with torch.no_grad():
        batch = _forward(model, x)
        expect_tensor(batch, "the output", shape=(6, 3),
                      hint="keep the batch dimension: flatten with start_dim=1")
        again = _forward(model, x)
        assert_close(again, batch, what="the scores of the same batch computed twice", rtol=1e-5, atol=1e-6,
                     hint="forward gives different scores for the same input (in eval mode): layers "
                          "created inside forward() are new random layers on every call; create "
                          "them once in __init__")
        for i in range(6):
            alone = _forward(model, x[i:i + 1])
            expect_tensor(alone, f"the output for image {i} alone (a batch of 1)", shape=(1, 3),
                          hint="a batch of one image must still give a (1, num_classes) output: "
                               "keep the batch dimension (flatten(1), no squeeze())")
            assert_close(batch[i:i + 1], alone, what=f"the scores of image {i} in a batch vs alone",
                         rtol=1e-4, atol=1e-5,
                         hint="the scores of one image depend on the other images in the batch: "
                              "flatten each sample (x.flatten(1) / x.reshape(x.shape[0], -1)), "
                              "never with a .view(-1, ...) that mixes samples")


def test_every_parameter_gets_a_gradient(kata):
    """every parameter takes part in the output (gets a gradient)"""
    model = _build(kata, 1, 4, 12)
    out = _forward(model, _images((4, 1, 12, 12), 9))
    F.cross_entropy(out, torch.tensor([0, 1, 2, 3])).backward()
    for name, p in model.named_parameters():
        expect(p.grad is not None and bool(p.grad.abs().sum() > 0),
               f"parameter {name!r} got no gradient: the layer is created but not used in forward "
               "(or its output was detached)")


def test_does_not_modify_the_input(kata):
    """leaves the input images unchanged"""
    model = _build(kata, 3, 2, 12)
    x = _images((4, 3, 12, 12), 10)
    before = x.clone()
    _forward(model, x)
    assert_equal_tensors(x, before, what="the input after forward",
                         hint="forward changed its input in place: use out-of-place operations on x "
                              "(x = x - m, not x -= m or x.sub_(m))")


def _quadrants(n, size, g):
    half = size // 2
    x = 0.3 * torch.randn(n, 1, size, size, generator=g)
    y = torch.randint(0, 4, (n,), generator=g)
    offsets = torch.randint(0, half - 2, (n, 2), generator=g)
    for i in range(n):
        top = int(y[i] // 2) * half + int(offsets[i, 0])
        left = int(y[i] % 2) * half + int(offsets[i, 1])
        x[i, 0, top:top + 3, left:left + 3] += 1.5
    return x, y


def _bars(n, size, g):
    x = 0.3 * torch.randn(n, 3, size, size, generator=g)
    y = torch.randint(0, 2, (n,), generator=g)  # 0 horizontal, 1 vertical
    colour = torch.rand(n, 3, generator=g) + 0.5
    line = torch.randint(0, size, (n,), generator=g)
    start = torch.randint(0, size - 8, (n,), generator=g)
    for i in range(n):
        p, s = int(line[i]), int(start[i])
        if y[i] == 0:
            x[i, :, p, s:s + 8] += colour[i, :, None]
        else:
            x[i, :, s:s + 8, p] += colour[i, :, None]
    return x, y


def _train_and_score(kata, make, channels, classes, steps, seed, device="cpu"):
    torch.set_num_threads(1)  # tiny convolutions: threads only add overhead (restored after the test)
    g = torch.Generator().manual_seed(seed)
    x_train, y_train = make(256, 12, g)
    x_test, y_test = make(200, 12, g)
    x_train, y_train, x_test, y_test = (t.to(device) for t in (x_train, y_train, x_test, y_test))
    model = _build(kata, channels, classes, 12, seed=seed).to(device)
    _forward(model, x_train[:2])  # materialise lazy layers, if any
    params = list(model.parameters())
    expect(len(params) > 0, "model.parameters() is empty: create the layers in __init__")
    optimizer = torch.optim.Adam(params, lr=1e-2)
    order = torch.Generator().manual_seed(seed + 1)
    model.train()
    for _ in range(steps):
        index = torch.randint(0, 256, (32,), generator=order).to(device)
        loss = F.cross_entropy(_forward(model, x_train[index]), y_train[index])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        return float((model(x_test).argmax(1) == y_test).float().mean())


@pytest.mark.weight(3)
def test_learns_which_quadrant_is_bright(kata, device):
    """learns the bright-quadrant task to >= 90% test accuracy in 20 Adam steps"""
    accuracy = _train_and_score(kata, _quadrants, 1, 4, steps=20, seed=11, device=device)
    expect(accuracy >= 0.9,
           f"test accuracy {accuracy:.0%} after 20 Adam steps (lr 1e-2), expected at least 90% on 'which "
           "quadrant holds the bright square': check the ReLUs, the pooling, that forward returns "
           "logits (no softmax) and that every layer is created in __init__")


@pytest.mark.weight(2)
def test_learns_bar_orientation(kata):
    """learns horizontal vs vertical coloured bars to >= 85% in 40 Adam steps"""
    accuracy = _train_and_score(kata, _bars, 3, 2, steps=40, seed=12)
    expect(accuracy >= 0.85,
           f"test accuracy {accuracy:.0%} after 40 Adam steps (lr 1e-2), expected at least 85% on "
           "'horizontal or vertical bar' (3-channel images): check the ReLUs, the pooling, that "
           "forward returns logits and uses every input channel")
