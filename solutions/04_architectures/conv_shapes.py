"""Kata 04_architectures/conv_shapes: work out the output size of convolution and pooling layers.

Before you can put a Linear head on a CNN you must know the size of the feature map it gets.
Along each spatial dimension, a convolution or pooling window of `kernel` taps, spread
`dilation` apart, covers `dilation * (kernel - 1) + 1` inputs. It slides over the input padded
with `padding` on BOTH sides, moving `stride` steps at a time, and yields one output per position
where it fits completely:

    out = floor((size + 2*padding - dilation*(kernel - 1) - 1) / stride) + 1

Examples: size 28, kernel 3, no padding -> 26; with padding 1 -> 28 ("same"); with stride 2 -> 14.

Pooling uses the same formula, with two differences:
- its stride defaults to the kernel size (nn.MaxPool2d(2) halves the size), not to 1;
- with `ceil_mode=True` the division rounds up instead of down, so a last, partial window is
  kept, except that a window must start inside the input or the left padding: if
  `(out - 1) * stride >= size + padding`, drop that last window (out -= 1). (So in ceil mode a
  single window may even stick out past the end of a short input.)

Pitfalls: padding counts twice (both sides); use integer floor division `//` (`/` gives a float);
forgetting dilation; a kernel bigger than the padded input has no valid position (an error, not
a size of 0).

`output_shape` walks an nn.Sequential and tracks the (N, C, H, W) shape through it, reading each
layer's settings from its attributes (Conv2d stores kernel_size, stride, padding and dilation as
(H, W) pairs; pooling layers may store plain ints; Conv2d's padding may be the string 'same' or
'valid').
"""

from collections.abc import Iterable

from torch import nn


def conv_output_size(size: int, kernel: int, stride: int = 1, padding: int = 0,
                     dilation: int = 1) -> int:
    """The output length of a convolution along one dimension.

    Args:
        size: the input length (e.g. the height), >= 1.
        kernel: the kernel size along that dimension.
        stride, padding, dilation: as in nn.Conv2d (padding is added on both sides).

    Returns the output length as an int. Raises ValueError if the (dilated) kernel does not fit
    in the padded input even once.
    """
    ### BEGIN SOLUTION
    # TODO: apply floor((size + 2*padding - dilation*(kernel-1) - 1) / stride) + 1 with integer
    # TODO: arithmetic; raise ValueError if the kernel does not fit in the padded input.
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    if span < 0:
        raise ValueError(f"the kernel ({kernel}, dilation {dilation}) does not fit in the padded "
                         f"input of size {size} + 2*{padding}")
    return span // stride + 1
    ### END SOLUTION


def pool_output_size(size: int, kernel: int, stride: int | None = None, padding: int = 0,
                     dilation: int = 1, ceil_mode: bool = False) -> int:
    """The output length of max or average pooling along one dimension.

    Args:
        size: the input length, >= 1.
        kernel: the window size.
        stride: the step; None means "the same as kernel" (PyTorch's default for pooling).
        padding, dilation: as in nn.MaxPool2d.
        ceil_mode: round the division up, keeping a last partial window that starts inside the
            input or the left padding.

    Returns the output length as an int. Raises ValueError if that length would be below 1.
    """
    ### BEGIN SOLUTION
    # TODO: default the stride to the kernel; apply the same formula as a convolution, rounding
    # TODO: up in ceil_mode (then drop a last window that would start past size + padding).
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
        raise ValueError(f"no pooling window ({kernel}, dilation {dilation}, stride {stride}) fits "
                         f"in the padded input of size {size} + 2*{padding}")
    return out
    ### END SOLUTION


def _pair(value) -> tuple[int, int]:
    """A layer setting as an (H, W) pair: PyTorch stores either an int or a tuple."""
    return (value, value) if isinstance(value, int) else (int(value[0]), int(value[1]))


def output_shape(layers: Iterable[nn.Module], input_shape: tuple[int, ...]) -> tuple[int, ...]:
    """The shape that comes out of `layers` (e.g. an nn.Sequential) for an input of `input_shape`.

    Handles nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d, nn.Flatten and nn.Linear; any other layer
    (ReLU, BatchNorm2d, Dropout, ...) keeps the shape. Do not run the layers: compute.

    Args:
        layers: the layers, in order.
        input_shape: (N, C, H, W).

    Returns the output shape as a plain tuple of ints, e.g. (N, 10). Raises ValueError if a
    Conv2d's in_channels (or a Linear's in_features) differs from what comes in, or a window
    does not fit.
    """
    ### BEGIN SOLUTION
    # TODO: for each layer, update the shape: Conv2d changes C and (H, W) with
    # TODO: conv_output_size per dimension; pooling changes (H, W) with pool_output_size;
    # TODO: Flatten merges dims start_dim..end_dim; Linear changes the last dim; others keep it.
    # TODO: Raise ValueError when in_channels / in_features do not match what comes in.
    shape = tuple(int(d) for d in input_shape)
    for layer in layers:
        if isinstance(layer, nn.Conv2d):
            n, c, h, w = shape
            if c != layer.in_channels:
                raise ValueError(f"{layer} expects {layer.in_channels} input channels, gets {c}")
            if layer.padding == "same":
                out_hw = (h, w)
            else:
                padding = (0, 0) if layer.padding == "valid" else _pair(layer.padding)
                kernel, stride, dilation = (_pair(layer.kernel_size), _pair(layer.stride),
                                            _pair(layer.dilation))
                out_hw = tuple(conv_output_size(size, kernel[i], stride[i], padding[i], dilation[i])
                               for i, size in enumerate((h, w)))
            shape = (n, layer.out_channels, *out_hw)
        elif isinstance(layer, (nn.MaxPool2d, nn.AvgPool2d)):
            n, c, h, w = shape
            kernel, stride, padding = _pair(layer.kernel_size), _pair(layer.stride), _pair(layer.padding)
            dilation = _pair(getattr(layer, "dilation", 1))  # AvgPool2d has no dilation
            out_hw = tuple(pool_output_size(size, kernel[i], stride[i], padding[i], dilation[i],
                                            layer.ceil_mode)
                           for i, size in enumerate((h, w)))
            shape = (n, c, *out_hw)
        elif isinstance(layer, nn.Flatten):
            start, end = layer.start_dim % len(shape), layer.end_dim % len(shape)
            merged = 1
            for d in shape[start:end + 1]:
                merged *= d
            shape = (*shape[:start], merged, *shape[end + 1:])
        elif isinstance(layer, nn.Linear):
            if shape[-1] != layer.in_features:
                raise ValueError(f"{layer} expects {layer.in_features} features, gets {shape[-1]}")
            shape = (*shape[:-1], layer.out_features)
    return shape
    ### END SOLUTION
