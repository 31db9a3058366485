"""Public tests for 04_architectures/simple_cnn: the basics. The hidden suite checks much more."""

import torch
import torch.nn.functional as F

from grader.checks import expect, expect_tensor, manual_seed


def test_output_shape(kata):
    """returns (B, num_classes) scores"""
    manual_seed(0)
    model = kata.SimpleCNN(3, 5, 16)
    out = model(torch.randn(4, 3, 16, 16))
    expect_tensor(out, "the output of SimpleCNN(3, 5, 16) for 4 images", shape=(4, 5),
                  hint="one row of num_classes scores per image")


def test_has_parameters(kata):
    """its layers are registered, so an optimizer can train them"""
    manual_seed(0)
    model = kata.SimpleCNN(1, 4, 12)
    model(torch.randn(2, 1, 12, 12))
    expect(sum(p.numel() for p in model.parameters()) > 0,
           "model.parameters() is empty: create the layers in __init__")


def test_learns_a_tiny_task(kata):
    """learns 'which quadrant is bright' with the provided train_classifier"""
    manual_seed(0)
    g = torch.Generator().manual_seed(1)
    x, y = kata.make_quadrant_images(256, 12, g)
    x_test, y_test = kata.make_quadrant_images(200, 12, g)
    model = kata.SimpleCNN(1, 4, 12)
    losses = kata.train_classifier(model, x, y, steps=30)
    with torch.no_grad():
        accuracy = float((model(x_test).argmax(1) == y_test).float().mean())
    expect(accuracy >= 0.9, f"test accuracy {accuracy:.0%} after 30 steps, expected at least 90% "
                            f"(first/last loss {losses[0]:.3f}/{losses[-1]:.3f})")
    expect(F.softmax(model(x_test[:1]), 1).shape == (1, 4), "the output should be (B, 4) logits")
