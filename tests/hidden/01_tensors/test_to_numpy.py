"""Hidden tests for 01_tensors/to_numpy: the checks. The scenarios are in observe_to_numpy.py."""

import numpy as np
import pytest
import torch

from grader.checks import assert_close, expect, expect_tensor, expect_type
from grader.observe import scenarios_of

scenes = scenarios_of(__file__)

ARRAY = "return a NumPy array (np.ndarray): x.detach().cpu().numpy(), not a list or a Python number"
DTYPE = ("keep the tensor's dtype (float64 stays float64, int64 stays int64; only bfloat16, which "
         "NumPy lacks, becomes float32): do not convert everything with .float()")
SHARE = ("the tensor does not share the array's memory: torch.tensor(a) and a.copy() copy; "
         "torch.from_numpy(a) shares, also with views such as a[:, ::2] and a.T (do not make "
         "them contiguous first)")
KEEP_DTYPE = ("keep the array's dtype: torch.from_numpy keeps float64 as float64; torch.Tensor(a) "
              "and .float() convert to float32 (and copy)")


def _dtype_of(facts, what):
    """The observed array's dtype; fails as expect_type would when no array came back."""
    if not facts["ndarray"]:
        expect_type(facts["value"], np.ndarray, what, hint=ARRAY)
    return np.dtype(facts["dtype"])


def _check_array(facts, x, what):
    x = x.detach().float() if x.dtype == torch.bfloat16 else x.detach()
    want = x.cpu().numpy()
    dtype = _dtype_of(facts, what)
    shape = tuple(facts["shape"])
    expect(shape == want.shape,
           f"{what} has shape {shape}, expected {want.shape}: keep the tensor's shape")
    expect(dtype == want.dtype, f"{DTYPE}\n  {what} has dtype {dtype}, expected {want.dtype}")
    result = np.frombuffer(facts["data"], dtype=want.dtype).reshape(want.shape)
    expect(bool(np.array_equal(result, want, equal_nan=want.dtype.kind in "fc")),
           f"{what} has the wrong values: got {result.ravel()[:8].tolist()}, expected "
           f"{want.ravel()[:8].tolist()}")


@pytest.mark.parametrize("dtypes", [(torch.float32, torch.float64, torch.float16),
                                    (torch.int64, torch.int32, torch.uint8, torch.bool)],
                         ids=["floats", "integers"])
def test_to_numpy_keeps_dtype_and_values(observed, dtypes):
    """converts tensors of every dtype, several shapes, keeping dtype and values"""
    for dtype, arrays in zip(dtypes, observed, strict=True):
        inputs = scenes.tensors_of(dtype)
        whats = [f"to_numpy of a {dtype} tensor of shape {shape}" for shape in scenes.SHAPES]
        whats.append(f"to_numpy of a transposed {dtype} tensor")
        for facts, x, what in zip(arrays, inputs, whats, strict=True):
            _check_array(facts, x, what)


def test_to_numpy_requires_grad(observed):
    """converts leaves and results that require grad, leaving them unchanged"""
    leaf, result = scenes.grad_tensors()
    for facts, what, x in zip(observed["arrays"], ("a leaf that requires grad",
                                                   "a result of autograd (leaf * 3)"),
                              (leaf, result), strict=True):
        _check_array(facts, x, f"to_numpy({what})")
    expect(observed["leaf_requires_grad"] is True and observed["result_requires_grad"] is True
           and observed["result_has_grad_fn"] is True,
           "the input tensor changed: it no longer requires grad. Do not switch requires_grad off "
           "on the caller's tensor: .detach() gives a new tensor outside the graph")


def test_to_numpy_bfloat16(observed):
    """turns bfloat16 (which NumPy lacks) into float32, keeping large values"""
    dtype = _dtype_of(observed, "to_numpy(bfloat16 tensor)")
    expect(dtype == np.float32,
           f"a bfloat16 tensor should become a float32 array (NumPy has no bfloat16; float32 has "
           f"the same range, float16 overflows above 65504), got {dtype}")
    _check_array(observed, scenes.bfloat16_tensor(), "to_numpy(bfloat16 tensor)")


def test_to_numpy_zero_dim(observed):
    """returns a 0-dim array for a 0-dim tensor, not a Python number"""
    for facts, x in zip(observed, scenes.zero_dim_tensors(), strict=True):
        _check_array(facts, x, f"to_numpy(tensor({x.item()}))")


def test_to_numpy_from_device(observed, device):
    """converts a tensor from any device (here: the test's device), with grad"""
    _check_array(observed["array"], scenes.on_device(device), f"to_numpy of a tensor on {device}")
    y = observed["input"]
    expect(y.device.type == torch.device(device).type and y.requires_grad,
           "the input tensor was changed: leave it on its device, in the graph")


@pytest.mark.parametrize("dtypes", [(np.float64, np.float32, np.float16, np.complex64),
                                    (np.int64, np.int32, np.uint8, np.bool_)],
                         ids=["floats", "integers"])
def test_to_tensor_keeps_dtype(observed, dtypes):
    """keeps the array's dtype, shape and values, on the CPU"""
    for dtype, t in zip(dtypes, observed, strict=True):
        a = scenes.array_of(dtype)
        want = torch.from_numpy(a.copy())
        expect_tensor(t, "to_tensor(a)", hint="return a torch.Tensor")
        expect_tensor(t, f"to_tensor of a {np.dtype(dtype).name} array", dtype=want.dtype,
                      shape=tuple(a.shape), device="cpu", hint=KEEP_DTYPE)
        assert_close(t, want, what=f"to_tensor of a {np.dtype(dtype).name} array",
                     hint="the tensor must hold the array's values")


def test_to_tensor_shares_memory(observed):
    """shares memory: writes through the array show in the tensor and back"""
    for dtype, seen in zip(scenes.SHARED_DTYPES, observed, strict=True):
        t = expect_tensor(seen["tensor"], "to_tensor(a)", shape=(3, 4),
                          hint="return a torch.Tensor")
        expect(t.dtype != torch.float32 or dtype == np.float32, KEEP_DTYPE)
        got = seen["tensor_after_array_write"]
        expect(got == 99, f"{SHARE}\n  after a[1, 2] = 99 the tensor has {got}")
        got = seen["array_after_tensor_write"]
        expect(got == -5, f"{SHARE}\n  after t[0, 0] = -5 the array has {got}")


def test_to_tensor_shares_views(observed):
    """shares memory with positive-stride views (a[:, ::2], a.T, a[1:])"""
    views = scenes.positive_views(scenes.view_base())
    for (what, view), seen in zip(views, observed, strict=True):
        expect_tensor(seen["before"], f"to_tensor({what})", shape=view.shape, dtype=torch.float32,
                      hint="keep the view's shape and dtype")
        assert_close(seen["before"], torch.from_numpy(view.copy()), what=f"to_tensor({what})",
                     hint="the tensor must hold the view's values")
        view[...] = -view  # what the scenario did, so the next views see it too
        assert_close(seen["after_negating_the_view"], torch.from_numpy(view.copy()),
                     what=f"to_tensor({what}) after negating the view", hint=SHARE)


def test_to_tensor_negative_strides(observed):
    """copies only what it must: a reversed array (negative strides)"""
    for (what, view), seen in zip(scenes.reversed_views(), observed, strict=True):
        kept = torch.from_numpy(view.copy())
        expect_tensor(seen["tensor"], f"to_tensor({what})", shape=view.shape, hint=KEEP_DTYPE)
        assert_close(seen["tensor"], kept, what=f"to_tensor({what})",
                     hint="the tensor must hold the reversed values, in the reversed order")
        expect(bool(torch.equal(seen["array_after"], kept)), f"to_tensor({what}) changed the array")


@pytest.mark.gpu
def test_to_numpy_from_cuda_with_grad(observed):
    """converts a CUDA tensor that requires grad, bfloat16 included"""
    for facts, x, seen in zip(observed["arrays"], scenes.cuda_inputs(), observed["inputs"],
                              strict=True):
        _check_array(facts, x, f"to_numpy of a {x.dtype} CUDA tensor")
        expect(seen.is_cuda, "the input tensor was moved: .cpu() returns a new tensor, use that")
