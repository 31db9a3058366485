"""Hidden tests for 04_architectures/simple_cnn: the checks. The scenarios are in
observe_simple_cnn.py (which also generates the synthetic image tasks and trains the model)."""

import pytest
import torch

from grader.checks import (assert_close, assert_equal_tensors, expect, expect_tensor,
                           expect_type)
from grader.observe import scenarios_of

scenes = scenarios_of(__file__)


def _built(observed):
    """The facts a scenario saw, once SimpleCNN(...) turned out to be an nn.Module."""
    expect(observed["is_module"], "SimpleCNN must be an nn.Module subclass")
    return observed


def test_output_shape(observed):
    """returns (B, num_classes) float32 logits for several batch, channel and image sizes"""
    outputs = _built(observed)["outputs"]
    for (b, c, k, s), out in zip(scenes.OUTPUT_SHAPE_CASES, outputs, strict=True):
        expect_tensor(out, f"the output for a batch of {b} images of shape ({c}, {s}, {s})",
                      shape=(b, k), dtype=torch.float32,
                      hint="forward should return one row of num_classes scores per image, (B, "
                           "num_classes): keep the batch dimension (flatten(1), no squeeze())")


def test_runs_on_the_models_device(observed, device):
    """runs on the device the model and input are on"""
    expect_tensor(_built(observed)["out"], "the output", shape=(4, 5), device=device,
                  hint="create nothing on a fixed device in forward: the output must be on the "
                       "input's device")


def test_works_on_the_meta_device(observed):
    """moves to the meta device with .to() and keeps the computation there"""
    expect_tensor(_built(observed)["out"], "the output on the meta device", shape=(3, 4),
                  device="meta",
                  hint="every layer must be a registered submodule (so .to(device) moves it) and "
                       "forward must not create tensors on a fixed device")


def test_has_convolution_layers(observed):
    """has at least two Conv2d layers"""
    count = _built(observed)["conv_count"]
    expect(count >= 2,
           f"the model has {count} nn.Conv2d layer(s): build two conv blocks "
           "(Conv2d -> ReLU -> MaxPool2d), created in __init__")


def test_relu_between_layers(observed):
    """passes conv features through ReLU before the next conv and the head"""
    seen = _built(observed)["layer_inputs"]
    expect(len(seen) >= 3,
           "the model should call at least two Conv2d layers and a Linear head in forward")
    negative = [f"{name} #{i} (min {low:.3g})" for i, (name, low) in enumerate(seen)
                if i > 0 and low < 0]
    expect(not negative,
           "the features entering a later layer have negative values, so no ReLU was applied "
           "after the convolution before it: put nn.ReLU() (or F.relu) after each Conv2d. "
           "Negative inputs reached: " + ", ".join(negative))


def test_parameters_are_registered_and_few(observed):
    """registers its layers as parameters, and pools to keep the head small"""
    seen = _built(observed)
    expect(seen["small_count"] > 0,
           "model.parameters() is empty: create the layers in __init__ (self.conv = "
           "nn.Conv2d(...)), not inside forward(), or the optimizer has nothing to train")
    count = seen["big_count"]
    expect(count <= 150_000,
           f"SimpleCNN(3, 10, 64) has {count:,} parameters, more than 150,000: pool after each "
           "conv block (nn.MaxPool2d(2)) so that the feature map shrinks before the Linear head")


def test_returns_logits_not_probabilities(observed):
    """returns raw logits, not softmax probabilities or log-probabilities"""
    out = expect_tensor(_built(observed)["out"], "the output")
    probabilities = bool((out >= 0).all()) and bool(
        torch.allclose(out.sum(1), torch.ones(16), atol=1e-4))
    log_probabilities = bool((out <= 0).all()) and bool(
        torch.allclose(out.exp().sum(1), torch.ones(16), atol=1e-4))
    expect(not probabilities and not log_probabilities,
           "forward returns (log-)probabilities: return the raw scores (logits) of the Linear "
           "head; F.cross_entropy applies log-softmax itself, so a softmax here is applied twice")


def test_samples_are_independent(observed):
    """scores each image on its own: the batch does not mix samples"""
    seen = _built(observed)
    batch = expect_tensor(seen["batch"], "the output", shape=(6, 3),
                          hint="keep the batch dimension: flatten with start_dim=1")
    assert_close(seen["again"], batch, what="the scores of the same batch computed twice",
                 rtol=1e-5, atol=1e-6,
                 hint="forward gives different scores for the same input (in eval mode): layers "
                      "created inside forward() are new random layers on every call; create "
                      "them once in __init__")
    # one output per image of the batch: an empty list would compare nothing
    alone_outputs = expect_type(seen["alone"], list, "the outputs of the images scored alone")
    expect(len(alone_outputs) == len(batch),
           f"the {len(batch)} images scored alone gave {len(alone_outputs)} outputs, expected "
           f"{len(batch)}: one (1, num_classes) output per batch of one image")
    for i, alone in enumerate(alone_outputs):
        expect_tensor(alone, f"the output for image {i} alone (a batch of 1)", shape=(1, 3),
                      hint="a batch of one image must still give a (1, num_classes) output: "
                           "keep the batch dimension (flatten(1), no squeeze())")
        assert_close(batch[i:i + 1], alone, what=f"the scores of image {i} in a batch vs alone",
                     rtol=1e-4, atol=1e-5,
                     hint="the scores of one image depend on the other images in the batch: "
                          "flatten each sample (x.flatten(1) / x.reshape(x.shape[0], -1)), "
                          "never with a .view(-1, ...) that mixes samples")


def test_every_parameter_gets_a_gradient(observed):
    """every parameter takes part in the output (gets a gradient)"""
    grads = expect_type(_built(observed)["grads"], dict, "the gradients by parameter name")
    # the architecture is the learner's: that it has parameters at all is what can be demanded
    expect(len(grads) > 0,
           "model.parameters() is empty: create the layers in __init__ (self.conv = "
           "nn.Conv2d(...)), not inside forward(), or the optimizer has nothing to train")
    for name, grad in grads.items():
        expect(type(grad) is torch.Tensor and bool(grad.abs().sum() > 0),
               f"parameter {name!r} got no gradient: the layer is created but not used in forward "
               "(or its output was detached)")


def test_does_not_modify_the_input(observed):
    """leaves the input images unchanged"""
    assert_equal_tensors(_built(observed)["input_after"], scenes.images((4, 3, 12, 12), 10),
                         what="the input after forward",
                         hint="forward changed its input in place: use out-of-place operations "
                              "on x (x = x - m, not x -= m or x.sub_(m))")


def _accuracy(observed, make, classes, seed, device="cpu"):
    seen = _built(observed)
    expect(seen["parameter_count"] > 0,
           "model.parameters() is empty: create the layers in __init__")
    *_, y_test = scenes.task(make, seed)
    logits = expect_tensor(seen["test_logits"], "the output on the test images",
                           shape=(len(y_test), classes), device=device)
    return float((logits.argmax(1).cpu() == y_test).float().mean())


@pytest.mark.weight(3)
def test_learns_which_quadrant_is_bright(observed, device):
    """learns the bright-quadrant task to >= 90% test accuracy in 20 Adam steps"""
    accuracy = _accuracy(observed, scenes.quadrants, 4, 11, device)
    expect(accuracy >= 0.9,
           f"test accuracy {accuracy:.0%} after 20 Adam steps (lr 1e-2), expected at least 90% on "
           "'which quadrant holds the bright square': check the ReLUs, the pooling, that forward "
           "returns logits (no softmax) and that every layer is created in __init__")


@pytest.mark.weight(2)
def test_learns_bar_orientation(observed):
    """learns horizontal vs vertical coloured bars to >= 85% in 40 Adam steps"""
    accuracy = _accuracy(observed, scenes.bars, 2, 12)
    expect(accuracy >= 0.85,
           f"test accuracy {accuracy:.0%} after 40 Adam steps (lr 1e-2), expected at least 85% on "
           "'horizontal or vertical bar' (3-channel images): check the ReLUs, the pooling, that "
           "forward returns logits and uses every input channel")
