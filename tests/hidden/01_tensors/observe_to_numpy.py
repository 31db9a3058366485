"""Scenarios for 01_tensors/to_numpy: they run beside the submission and only observe.

No expected value belongs here (this module is in the submission's process when grading); the
checks are in test_to_numpy.py, which rebuilds the inputs with the builders below. A NumPy array
is not data that crosses as it is: `array_facts` observes its type, shape, dtype and raw bytes.
Whether a tensor and an array share memory is seen here, by writing into one and reading the
other."""

import numpy as np
import torch

from grader.checks import explain
from grader.observe import scenario

ERRORS = {
    r"unsupported ScalarType BFloat16|BFloat16":
        "NumPy has no bfloat16: convert a bfloat16 tensor to float32 first (x.float())",
    r"only change requires_grad flags of leaf":
        "do not switch requires_grad off on the caller's tensor: .detach() gives a new tensor, "
        "outside the graph, over the same data",
    r"stride.*negative|negative stride":
        "a reversed array (a[::-1], np.flip) has negative strides, which no tensor can share: "
        "copy such an array first (a.copy()), and only such an array",
}

SHAPES = [(3, 4), (2, 3, 2), (5,)]
SHARED_DTYPES = (np.float64, np.int64, np.float32)


def rand(seed, shape, dtype):
    g = torch.Generator().manual_seed(seed)
    if dtype.is_floating_point:
        return torch.randn(shape, generator=g).to(dtype)
    if dtype == torch.bool:
        return torch.rand(shape, generator=g) > 0.5
    return torch.randint(-50, 50, shape, generator=g).to(dtype)


def tensors_of(dtype):
    """Tensors of `dtype` in several shapes, the last one transposed (not contiguous)."""
    shaped = [rand(seed, shape, dtype) for seed, shape in enumerate(SHAPES)]
    return shaped + [rand(9, (4, 6), dtype).t()]


def grad_tensors():
    """A leaf that requires grad, and a result of autograd computed from it."""
    leaf = rand(1, (3, 2), torch.float32).requires_grad_()
    return leaf, leaf * 3


def bfloat16_tensor():
    return (rand(2, (4, 3), torch.float32) * 1e20).to(torch.bfloat16)


def zero_dim_tensors():
    return [torch.tensor(2.5), torch.tensor(7), torch.tensor(1.5, requires_grad=True) * 2]


def on_device(device):
    """A result of autograd on `device`."""
    x = rand(3, (5, 4), torch.float32).to(device).requires_grad_()
    return x * 2


def array_of(dtype):
    return (np.random.default_rng(4).standard_normal((3, 5)) * 10).astype(dtype)


def view_base():
    return np.arange(48, dtype=np.float32).reshape(6, 8)


def positive_views(base):
    return [("a[:, ::2]", base[:, ::2]), ("a.T", base.T), ("a[1:, 3]", base[1:, 3])]


def reversed_views():
    a = np.arange(10, dtype=np.float64)
    m = np.arange(12, dtype=np.int64).reshape(3, 4)
    return [("a[::-1]", a[::-1]), ("np.flip(m, axis=1)", np.flip(m, axis=1)),
            ("m[::-1, ::2]", m[::-1, ::2])]


def cuda_inputs():
    """A tensor of each dtype on CUDA; the floating ones results of autograd."""
    inputs = []
    for dtype in (torch.float32, torch.bfloat16, torch.int64):
        x = rand(5, (6, 3), dtype).to("cuda")
        inputs.append(x.requires_grad_() * 1 if dtype.is_floating_point else x)
    return inputs


def array_facts(value):
    """What to_numpy returned: an exact np.ndarray as its shape, dtype and raw bytes; anything
    else as itself (plain data, or the name of its type)."""
    if type(value) is not np.ndarray:
        return {"ndarray": False, "value": value}
    return {"ndarray": True, "shape": tuple(value.shape), "dtype": value.dtype.str,
            "data": np.ascontiguousarray(value).tobytes()}


def _to_numpy(kata, x):
    with explain(ERRORS):
        return array_facts(kata.to_numpy(x))


def _to_tensor(kata, a):
    with explain(ERRORS):
        return kata.to_tensor(a)


@scenario
def to_numpy_keeps_dtype_and_values(kata, dtypes):
    return [[_to_numpy(kata, x) for x in tensors_of(dtype)] for dtype in dtypes]


@scenario
def to_numpy_requires_grad(kata):
    leaf, result = grad_tensors()
    arrays = [_to_numpy(kata, leaf), _to_numpy(kata, result)]
    return {"arrays": arrays, "leaf_requires_grad": leaf.requires_grad,
            "result_requires_grad": result.requires_grad,
            "result_has_grad_fn": result.grad_fn is not None}


@scenario
def to_numpy_bfloat16(kata):
    return _to_numpy(kata, bfloat16_tensor())


@scenario
def to_numpy_zero_dim(kata):
    return [_to_numpy(kata, x) for x in zero_dim_tensors()]


@scenario
def to_numpy_from_device(kata, device):
    y = on_device(device)
    return {"array": _to_numpy(kata, y), "input": y}


@scenario
def to_tensor_keeps_dtype(kata, dtypes):
    return [_to_tensor(kata, array_of(dtype)) for dtype in dtypes]


@scenario
def to_tensor_shares_memory(kata):
    seen = []
    for dtype in SHARED_DTYPES:
        a = np.arange(12, dtype=dtype).reshape(3, 4)
        t = _to_tensor(kata, a)
        facts = {"tensor": t}
        if isinstance(t, torch.Tensor) and tuple(t.shape) == (3, 4):  # else its check stops there
            a[1, 2] = 99
            facts["tensor_after_array_write"] = t[1, 2].item()
            t[0, 0] = -5
            facts["array_after_tensor_write"] = a[0, 0].item()
        seen.append(facts)
    return seen


def _snapshot(t):
    """`t`'s values now: the views overlap, so a later write would show in `t` too."""
    return t.clone() if isinstance(t, torch.Tensor) else t


@scenario
def to_tensor_shares_views(kata):
    seen = []
    for _, view in positive_views(view_base()):
        t = _to_tensor(kata, view)
        before = _snapshot(t)
        view[...] = -view
        seen.append({"before": before, "after_negating_the_view": _snapshot(t)})
    return seen


@scenario
def to_tensor_negative_strides(kata):
    seen = []
    for _, view in reversed_views():
        t = _to_tensor(kata, view)
        seen.append({"tensor": t, "array_after": torch.from_numpy(view.copy())})
    return seen


@scenario
def to_numpy_from_cuda_with_grad(kata):
    inputs = cuda_inputs()
    arrays = [_to_numpy(kata, x) for x in inputs]
    return {"arrays": arrays, "inputs": inputs}
