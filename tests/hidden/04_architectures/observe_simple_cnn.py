"""Scenarios for 04_architectures/simple_cnn: they run beside the submission and only observe.

No expected value belongs here (this module is in the submission's process when grading); the
checks are in test_simple_cnn.py, which rebuilds the inputs with the builders below.

Synthetic image tasks are generated here, seeded: a bright square in one of four quadrants
(1 channel) and horizontal vs vertical coloured bars (3 channels). Training uses the scenario's
own loop (Adam, fixed budget), never the kata's helper.
"""

import torch
import torch.nn.functional as F
from torch import nn

from grader.checks import explain, manual_seed
from grader.observe import scenario

SHAPE_ERRORS = {
    r"mat1 and mat2 shapes cannot be multiplied|size mismatch|shapes cannot be multiplied":
        "the Linear head got a different number of features than it was built for: flatten each "
        "sample with start_dim=1 (keep the batch dimension), and compute in_features from "
        "image_size (two 2x2 poolings: 16 * (image_size // 4) ** 2), do not hard-code it",
    r"expected input.* to have \d+ channels":
        "the first Conv2d's in_channels must be the in_channels argument, and each next Conv2d's "
        "in_channels the previous one's out_channels",
}
# (batch, channels, classes, image size) of the output-shape scenario
OUTPUT_SHAPE_CASES = [(1, 1, 4, 12), (5, 3, 10, 16), (2, 2, 3, 13), (3, 1, 2, 8), (4, 3, 7, 28)]
# What a scenario returns when SimpleCNN(...) is not an nn.Module: nothing else can be run.
NOT_A_MODULE = {"is_module": False}
TRAIN_SIZE, TEST_SIZE, IMAGE_SIZE, BATCH = 256, 200, 12, 32


def images(shape, seed, device="cpu"):
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed)).to(device)


def gradient_labels():
    return torch.tensor([0, 1, 2, 3])


def quadrants(n, size, g):
    half = size // 2
    x = 0.3 * torch.randn(n, 1, size, size, generator=g)
    y = torch.randint(0, 4, (n,), generator=g)
    offsets = torch.randint(0, half - 2, (n, 2), generator=g)
    for i in range(n):
        top = int(y[i] // 2) * half + int(offsets[i, 0])
        left = int(y[i] % 2) * half + int(offsets[i, 1])
        x[i, 0, top:top + 3, left:left + 3] += 1.5
    return x, y


def bars(n, size, g):
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


def task(make, seed):
    """(x_train, y_train, x_test, y_test) of a synthetic task, on the CPU."""
    g = torch.Generator().manual_seed(seed)
    x_train, y_train = make(TRAIN_SIZE, IMAGE_SIZE, g)
    x_test, y_test = make(TEST_SIZE, IMAGE_SIZE, g)
    return x_train, y_train, x_test, y_test


def _build(kata, in_channels, num_classes, image_size, seed=0):
    manual_seed(seed)
    return kata.SimpleCNN(in_channels, num_classes, image_size)


def _forward(model, x):
    with explain(SHAPE_ERRORS):
        return model(x)


def _seen(**facts):
    return {"is_module": True, **facts}


@scenario
def output_shape(kata):
    outputs = []
    for b, c, k, s in OUTPUT_SHAPE_CASES:
        model = _build(kata, c, k, s)
        if not isinstance(model, nn.Module):
            return NOT_A_MODULE
        outputs.append(_forward(model, images((b, c, s, s), b + s)))
    return _seen(outputs=outputs)


@scenario
def runs_on_the_models_device(kata, device):
    model = _build(kata, 3, 5, 16)
    if not isinstance(model, nn.Module):
        return NOT_A_MODULE
    return _seen(out=_forward(model.to(device), images((4, 3, 16, 16), 1, device)))


@scenario
def works_on_the_meta_device(kata):
    model = _build(kata, 1, 4, 12)
    if not isinstance(model, nn.Module):
        return NOT_A_MODULE
    _forward(model, images((2, 1, 12, 12), 2))  # materialise lazy layers, if any
    model = model.to("meta")
    return _seen(out=_forward(model, torch.empty(3, 1, 12, 12, device="meta")))


@scenario
def has_convolution_layers(kata):
    model = _build(kata, 1, 4, 12)
    if not isinstance(model, nn.Module):
        return NOT_A_MODULE
    _forward(model, images((2, 1, 12, 12), 3))
    return _seen(conv_count=sum(isinstance(m, nn.Conv2d) for m in model.modules()))


@scenario
def relu_between_layers(kata):
    model = _build(kata, 1, 4, 12)
    if not isinstance(model, nn.Module):
        return NOT_A_MODULE
    seen = []

    def record(module, args):
        seen.append((type(module).__name__, float(args[0].detach().min())))

    layers = [m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    handles = [m.register_forward_pre_hook(record) for m in layers]
    try:
        _forward(model, images((8, 1, 12, 12), 4))
    finally:
        for h in handles:
            h.remove()
    return _seen(layer_inputs=seen)


@scenario
def parameters_are_registered_and_few(kata):
    small = _build(kata, 1, 4, 12)
    if not isinstance(small, nn.Module):
        return NOT_A_MODULE
    _forward(small, images((2, 1, 12, 12), 5))
    big = _build(kata, 3, 10, 64)
    if not isinstance(big, nn.Module):
        return NOT_A_MODULE
    _forward(big, images((1, 3, 64, 64), 6))
    return _seen(small_count=sum(p.numel() for p in small.parameters()),
                 big_count=sum(p.numel() for p in big.parameters()))


@scenario
def returns_logits_not_probabilities(kata):
    model = _build(kata, 1, 4, 12)
    if not isinstance(model, nn.Module):
        return NOT_A_MODULE
    return _seen(out=_forward(model, images((16, 1, 12, 12), 7)))


@scenario
def samples_are_independent(kata):
    model = _build(kata, 2, 3, 12)
    if not isinstance(model, nn.Module):
        return NOT_A_MODULE
    model.eval()
    x = images((6, 2, 12, 12), 8)
    with torch.no_grad():
        batch = _forward(model, x)
        again = _forward(model, x)
        alone = [_forward(model, x[i:i + 1]) for i in range(6)]
    return _seen(batch=batch, again=again, alone=alone)


@scenario
def every_parameter_gets_a_gradient(kata):
    model = _build(kata, 1, 4, 12)
    if not isinstance(model, nn.Module):
        return NOT_A_MODULE
    out = _forward(model, images((4, 1, 12, 12), 9))
    F.cross_entropy(out, gradient_labels()).backward()
    return _seen(grads={name: p.grad for name, p in model.named_parameters()})


@scenario
def does_not_modify_the_input(kata):
    model = _build(kata, 3, 2, 12)
    if not isinstance(model, nn.Module):
        return NOT_A_MODULE
    x = images((4, 3, 12, 12), 10)
    _forward(model, x)
    return _seen(input_after=x)


def _train_and_predict(kata, make, channels, classes, steps, seed, device="cpu"):
    """Train the submission's model on a task; its test-set logits, or why there are none."""
    torch.set_num_threads(1)  # tiny convolutions: threads only add overhead (restored after)
    x_train, y_train, x_test, _ = (t.to(device) for t in task(make, seed))
    model = _build(kata, channels, classes, IMAGE_SIZE, seed=seed)
    if not isinstance(model, nn.Module):
        return NOT_A_MODULE
    model = model.to(device)
    _forward(model, x_train[:2])  # materialise lazy layers, if any
    params = list(model.parameters())
    if not params:
        return _seen(parameter_count=0)
    optimizer = torch.optim.Adam(params, lr=1e-2)
    order = torch.Generator().manual_seed(seed + 1)
    model.train()
    for _ in range(steps):
        index = torch.randint(0, TRAIN_SIZE, (BATCH,), generator=order).to(device)
        loss = F.cross_entropy(_forward(model, x_train[index]), y_train[index])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        return _seen(parameter_count=len(params), test_logits=model(x_test))


@scenario
def learns_which_quadrant_is_bright(kata, device):
    return _train_and_predict(kata, quadrants, 1, 4, steps=20, seed=11, device=device)


@scenario
def learns_bar_orientation(kata):
    return _train_and_predict(kata, bars, 3, 2, steps=40, seed=12)
