"""Hidden tests for 01_tensors/to_numpy."""

import numpy as np
import pytest
import torch

from grader.checks import assert_close, expect, expect_tensor, expect_type, explain

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

ARRAY = "return a NumPy array (np.ndarray): x.detach().cpu().numpy(), not a list or a Python number"
DTYPE = ("keep the tensor's dtype (float64 stays float64, int64 stays int64; only bfloat16, which "
         "NumPy lacks, becomes float32): do not convert everything with .float()")
SHARE = ("the tensor does not share the array's memory: torch.tensor(a) and a.copy() copy; "
         "torch.from_numpy(a) shares, also with views such as a[:, ::2] and a.T (do not make "
         "them contiguous first)")
KEEP_DTYPE = ("keep the array's dtype: torch.from_numpy keeps float64 as float64; torch.Tensor(a) "
              "and .float() convert to float32 (and copy)")


def _call_to_numpy(kata, x):
    with explain(ERRORS):
        return kata.to_numpy(x)


def _call_to_tensor(kata, a):
    with explain(ERRORS):
        return kata.to_tensor(a)


def _check_array(result, x, what):
    want = x.detach().float().cpu().numpy() if x.dtype == torch.bfloat16 else x.detach().cpu().numpy()
    expect_type(result, np.ndarray, what, hint=ARRAY)
    expect(result.shape == want.shape,
           f"{what} has shape {result.shape}, expected {want.shape}: keep the tensor's shape")
    expect(result.dtype == want.dtype, f"{DTYPE}\n  {what} has dtype {result.dtype}, expected {want.dtype}")
    expect(bool(np.array_equal(result, want, equal_nan=want.dtype.kind in "fc")),
           f"{what} has the wrong values: got {result.ravel()[:8].tolist()}, expected "
           f"{want.ravel()[:8].tolist()}")


def _rand(seed, shape, dtype):
    g = torch.Generator().manual_seed(seed)
    if dtype.is_floating_point:
        return torch.randn(shape, generator=g).to(dtype)
    if dtype == torch.bool:
        return torch.rand(shape, generator=g) > 0.5
    return torch.randint(-50, 50, shape, generator=g).to(dtype)


@pytest.mark.parametrize("dtypes", [(torch.float32, torch.float64, torch.float16),
                                    (torch.int64, torch.int32, torch.uint8, torch.bool)],
                         ids=["floats", "integers"])
def test_to_numpy_keeps_dtype_and_values(kata, dtypes):
    """converts tensors of every dtype, several shapes, keeping dtype and values"""
    for dtype in dtypes:
        for seed, shape in enumerate([(3, 4), (2, 3, 2), (5,)]):
            x = _rand(seed, shape, dtype)
            _check_array(_call_to_numpy(kata, x), x, f"to_numpy of a {dtype} tensor of shape {shape}")
        x = _rand(9, (4, 6), dtype).t()  # not contiguous
        _check_array(_call_to_numpy(kata, x), x, f"to_numpy of a transposed {dtype} tensor")


def test_to_numpy_requires_grad(kata):
    """converts leaves and results that require grad, leaving them unchanged"""
    leaf = _rand(1, (3, 2), torch.float32).requires_grad_()
    result = leaf * 3
    for what, x in (("a leaf that requires grad", leaf), ("a result of autograd (leaf * 3)", result)):
        _check_array(_call_to_numpy(kata, x), x, f"to_numpy({what})")
    expect(leaf.requires_grad and result.requires_grad and result.grad_fn is not None,
           "the input tensor changed: it no longer requires grad. Do not switch requires_grad off "
           "on the caller's tensor: .detach() gives a new tensor outside the graph")


def test_to_numpy_bfloat16(kata):
    """turns bfloat16 (which NumPy lacks) into float32, keeping large values"""
    x = (_rand(2, (4, 3), torch.float32) * 1e20).to(torch.bfloat16)
    result = _call_to_numpy(kata, x)
    expect_type(result, np.ndarray, "to_numpy(bfloat16 tensor)", hint=ARRAY)
    expect(result.dtype == np.float32,
           f"a bfloat16 tensor should become a float32 array (NumPy has no bfloat16; float32 has "
           f"the same range, float16 overflows above 65504), got {result.dtype}")
    _check_array(result, x, "to_numpy(bfloat16 tensor)")


def test_to_numpy_zero_dim(kata):
    """returns a 0-dim array for a 0-dim tensor, not a Python number"""
    for x in (torch.tensor(2.5), torch.tensor(7), torch.tensor(1.5, requires_grad=True) * 2):
        _check_array(_call_to_numpy(kata, x), x, f"to_numpy(tensor({x.item()}))")


def test_to_numpy_from_device(kata, device):
    """converts a tensor from any device (here: the test's device), with grad"""
    x = _rand(3, (5, 4), torch.float32).to(device).requires_grad_()
    y = x * 2
    _check_array(_call_to_numpy(kata, y), y, f"to_numpy of a tensor on {device}")
    expect(y.device.type == torch.device(device).type and y.requires_grad,
           "the input tensor was changed: leave it on its device, in the graph")


@pytest.mark.parametrize("dtypes", [(np.float64, np.float32, np.float16, np.complex64),
                                    (np.int64, np.int32, np.uint8, np.bool_)],
                         ids=["floats", "integers"])
def test_to_tensor_keeps_dtype(kata, dtypes):
    """keeps the array's dtype, shape and values, on the CPU"""
    for dtype in dtypes:
        a = (np.random.default_rng(4).standard_normal((3, 5)) * 10).astype(dtype)
        want = torch.from_numpy(a.copy())
        t = _call_to_tensor(kata, a)
        expect_tensor(t, "to_tensor(a)", hint="return a torch.Tensor")
        expect_tensor(t, f"to_tensor of a {np.dtype(dtype).name} array", dtype=want.dtype,
                      shape=tuple(a.shape), device="cpu", hint=KEEP_DTYPE)
        assert_close(t, want, what=f"to_tensor of a {np.dtype(dtype).name} array",
                     hint="the tensor must hold the array's values")


def test_to_tensor_shares_memory(kata):
    """shares memory: writes through the array show in the tensor and back"""
    for dtype in (np.float64, np.int64, np.float32):
        a = np.arange(12, dtype=dtype).reshape(3, 4)
        t = _call_to_tensor(kata, a)
        expect_tensor(t, "to_tensor(a)", shape=(3, 4), hint="return a torch.Tensor")
        a[1, 2] = 99
        expect(t.dtype != torch.float32 or dtype == np.float32, KEEP_DTYPE)
        expect(t[1, 2].item() == 99, f"{SHARE}\n  after a[1, 2] = 99 the tensor has {t[1, 2].item()}")
        t[0, 0] = -5
        expect(a[0, 0].item() == -5, f"{SHARE}\n  after t[0, 0] = -5 the array has {a[0, 0].item()}")


def test_to_tensor_shares_views(kata):
    """shares memory with positive-stride views (a[:, ::2], a.T, a[1:])"""
    base = np.arange(48, dtype=np.float32).reshape(6, 8)
    for what, view in (("a[:, ::2]", base[:, ::2]), ("a.T", base.T), ("a[1:, 3]", base[1:, 3])):
        t = _call_to_tensor(kata, view)
        expect_tensor(t, f"to_tensor({what})", shape=view.shape, dtype=torch.float32,
                      hint="keep the view's shape and dtype")
        assert_close(t, torch.from_numpy(view.copy()), what=f"to_tensor({what})",
                     hint="the tensor must hold the view's values")
        view[...] = -view
        assert_close(t, torch.from_numpy(view.copy()), what=f"to_tensor({what}) after negating the view",
                     hint=SHARE)


def test_to_tensor_negative_strides(kata):
    """copies only what it must: a reversed array (negative strides)"""
    a = np.arange(10, dtype=np.float64)
    m = np.arange(12, dtype=np.int64).reshape(3, 4)
    for what, view in (("a[::-1]", a[::-1]), ("np.flip(m, axis=1)", np.flip(m, axis=1)),
                       ("m[::-1, ::2]", m[::-1, ::2])):
        kept = view.copy()
        t = _call_to_tensor(kata, view)
        expect_tensor(t, f"to_tensor({what})", shape=view.shape, hint=KEEP_DTYPE)
        assert_close(t, torch.from_numpy(kept), what=f"to_tensor({what})",
                     hint="the tensor must hold the reversed values, in the reversed order")
        expect(bool(np.array_equal(view, kept)), f"to_tensor({what}) changed the array")


@pytest.mark.gpu
def test_to_numpy_from_cuda_with_grad(kata):
    """converts a CUDA tensor that requires grad, bfloat16 included"""
    for dtype in (torch.float32, torch.bfloat16, torch.int64):
        x = _rand(5, (6, 3), dtype).to("cuda")
        if dtype.is_floating_point:
            x = x.requires_grad_() * 1
        result = _call_to_numpy(kata, x)
        _check_array(result, x, f"to_numpy of a {dtype} CUDA tensor")
        expect(x.is_cuda, "the input tensor was moved: .cpu() returns a new tensor, use that")
