# ALTERNATE: conv_output_size reuses pool_output_size (floor mode); output_shape dispatches with match
from torch import nn


def pool_output_size(size, kernel, stride=None, padding=0, dilation=1, ceil_mode=False):
    if stride is None:
        stride = kernel
    numerator = size + 2 * padding - dilation * (kernel - 1) - 1
    if ceil_mode:
        numerator += stride - 1
    out = numerator // stride + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    if out < 1:
        raise ValueError("output would be empty")
    return out


def conv_output_size(size, kernel, stride=1, padding=0, dilation=1):
    return pool_output_size(size, kernel, stride, padding, dilation, ceil_mode=False)


def _hw(v):
    return (v, v) if isinstance(v, int) else v


def output_shape(layers, input_shape):
    n, *rest = input_shape
    shape = (n, *rest)
    for layer in layers:
        match layer:
            case nn.Conv2d():
                _, c, h, w = shape
                if c != layer.in_channels:
                    raise ValueError("in_channels mismatch")
                if layer.padding == "same":
                    shape = (n, layer.out_channels, h, w)
                    continue
                pad = (0, 0) if layer.padding == "valid" else _hw(layer.padding)
                sizes = [conv_output_size(x, k, s, p, d) for x, k, s, p, d in
                         zip((h, w), _hw(layer.kernel_size), _hw(layer.stride), pad, _hw(layer.dilation))]
                shape = (n, layer.out_channels, *sizes)
            case nn.MaxPool2d() | nn.AvgPool2d():
                _, c, h, w = shape
                dil = _hw(layer.dilation) if isinstance(layer, nn.MaxPool2d) else (1, 1)
                sizes = [pool_output_size(x, k, s, p, d, layer.ceil_mode) for x, k, s, p, d in
                         zip((h, w), _hw(layer.kernel_size), _hw(layer.stride), _hw(layer.padding), dil)]
                shape = (n, c, *sizes)
            case nn.Flatten():
                dims = list(range(len(shape)))
                start, end = dims[layer.start_dim], dims[layer.end_dim]
                size = 1
                for x in shape[start:end + 1]:
                    size *= x
                shape = shape[:start] + (size,) + shape[end + 1:]
            case nn.Linear():
                if shape[-1] != layer.in_features:
                    raise ValueError("in_features mismatch")
                shape = shape[:-1] + (layer.out_features,)
    return shape
