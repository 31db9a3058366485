"""Public tests for 04_architectures/conv_shapes: the basics. The hidden suite checks much more."""

import torch
from torch import nn

from grader.checks import expect


def test_conv_output_size_examples(kata):
    """conv_output_size on a few textbook cases"""
    for args, want in [((28, 3), 26), ((28, 3, 1, 1), 28), ((28, 3, 2, 1), 14), ((10, 3, 1, 0, 2), 6)]:
        got = kata.conv_output_size(*args)
        expect(type(got) is int and got == want,
               f"conv_output_size{args} returned {got!r}, expected {want}: "
               "out = (size + 2*padding - dilation*(kernel - 1) - 1) // stride + 1")


def test_pool_output_size_default_stride(kata):
    """pool_output_size: the stride defaults to the kernel size"""
    for args, want in [((28, 2), 14), ((7, 2), 3), ((9, 3), 3)]:
        got = kata.pool_output_size(*args)
        expect(type(got) is int and got == want,
               f"pool_output_size{args} returned {got!r}, expected {want}: "
               "pooling's stride defaults to the kernel size")


def test_output_shape_of_a_small_cnn(kata):
    """output_shape through conv -> relu -> pool -> flatten -> linear"""
    layers = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                           nn.Flatten(), nn.Linear(4 * 14 * 14, 10))
    want = tuple(layers(torch.zeros(2, 1, 28, 28)).shape)
    got = kata.output_shape(layers, (2, 1, 28, 28))
    expect(type(got) is tuple and got == want, f"output_shape returned {got!r}, expected {want}")
