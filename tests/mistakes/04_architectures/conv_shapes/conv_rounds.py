# MISTAKE: rounds the division to the nearest int instead of flooring
# FEEDBACK: floor division //
from torch import nn


def conv_output_size(size, kernel, stride=1, padding=0, dilation=1):
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    if span < 0:
        raise ValueError("the kernel does not fit")
    return round(span / stride) + 1


def pool_output_size(size, kernel, stride=None, padding=0, dilation=1, ceil_mode=False):
    if stride is None:
        stride = kernel
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    if ceil_mode:
        out = -(-span // stride) + 1
        if (out - 1) * stride >= size + padding:
            out -= 1
    else:
        out = span // stride + 1
    if out < 1:
        raise ValueError("no window fits")
    return out


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def output_shape(layers, input_shape):
    shape = tuple(input_shape)
    for layer in layers:
        if isinstance(layer, nn.Conv2d):
            n, c, h, w = shape
            if c != layer.in_channels:
                raise ValueError("channel mismatch")
            if layer.padding == "same":
                hw = (h, w)
            else:
                pad = (0, 0) if layer.padding == "valid" else _pair(layer.padding)
                k, s, d = _pair(layer.kernel_size), _pair(layer.stride), _pair(layer.dilation)
                hw = (conv_output_size(h, k[0], s[0], pad[0], d[0]),
                      conv_output_size(w, k[1], s[1], pad[1], d[1]))
            shape = (n, layer.out_channels, *hw)
        elif isinstance(layer, (nn.MaxPool2d, nn.AvgPool2d)):
            n, c, h, w = shape
            k, s, p = _pair(layer.kernel_size), _pair(layer.stride), _pair(layer.padding)
            d = _pair(getattr(layer, "dilation", 1))
            hw = (pool_output_size(h, k[0], s[0], p[0], d[0], layer.ceil_mode),
                  pool_output_size(w, k[1], s[1], p[1], d[1], layer.ceil_mode))
            shape = (n, c, *hw)
        elif isinstance(layer, nn.Flatten):
            start, end = layer.start_dim % len(shape), layer.end_dim % len(shape)
            merged = 1
            for x in shape[start:end + 1]:
                merged *= x
            shape = (*shape[:start], merged, *shape[end + 1:])
        elif isinstance(layer, nn.Linear):
            if shape[-1] != layer.in_features:
                raise ValueError("feature mismatch")
            shape = (*shape[:-1], layer.out_features)
    return shape
