# ALTERNATE: math.floor / math.ceil on the effective kernel size, per-dimension loops with zip
import math

from torch import nn


def conv_output_size(size, kernel, stride=1, padding=0, dilation=1):
    effective = dilation * (kernel - 1) + 1
    padded = size + 2 * padding
    if effective > padded:
        raise ValueError(f"kernel spanning {effective} does not fit in {padded}")
    return math.floor((padded - effective) / stride) + 1


def pool_output_size(size, kernel, stride=None, padding=0, dilation=1, ceil_mode=False):
    stride = kernel if stride is None else stride
    effective = dilation * (kernel - 1) + 1
    rounding = math.ceil if ceil_mode else math.floor
    out = rounding((size + 2 * padding - effective) / stride) + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    if out <= 0:
        raise ValueError("pooling window does not fit")
    return int(out)


def _two(value):
    if isinstance(value, (tuple, list)):
        return list(value)
    return [value, value]


def output_shape(layers, input_shape):
    shape = list(input_shape)
    for layer in layers:
        if isinstance(layer, nn.Conv2d):
            if shape[1] != layer.in_channels:
                raise ValueError("wrong number of input channels")
            if isinstance(layer.padding, str):
                pads = [0, 0] if layer.padding == "valid" else None
            else:
                pads = _two(layer.padding)
            if pads is not None:
                for i, (k, s, p, d) in enumerate(zip(layer.kernel_size, layer.stride, pads, layer.dilation)):
                    shape[2 + i] = conv_output_size(shape[2 + i], k, s, p, d)
            shape[1] = layer.out_channels
        elif isinstance(layer, nn.MaxPool2d):
            settings = zip(_two(layer.kernel_size), _two(layer.stride), _two(layer.padding), _two(layer.dilation))
            for i, (k, s, p, d) in enumerate(settings):
                shape[2 + i] = pool_output_size(shape[2 + i], k, s, p, d, layer.ceil_mode)
        elif isinstance(layer, nn.AvgPool2d):
            settings = zip(_two(layer.kernel_size), _two(layer.stride), _two(layer.padding))
            for i, (k, s, p) in enumerate(settings):
                shape[2 + i] = pool_output_size(shape[2 + i], k, s, p, 1, layer.ceil_mode)
        elif isinstance(layer, nn.Flatten):
            start = layer.start_dim if layer.start_dim >= 0 else len(shape) + layer.start_dim
            end = layer.end_dim if layer.end_dim >= 0 else len(shape) + layer.end_dim
            shape = shape[:start] + [math.prod(shape[start:end + 1])] + shape[end + 1:]
        elif isinstance(layer, nn.Linear):
            if shape[-1] != layer.in_features:
                raise ValueError("wrong number of input features")
            shape[-1] = layer.out_features
    return tuple(shape)
