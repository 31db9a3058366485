"""Public tests for 01_tensors/to_numpy: the basics. The hidden suite checks much more."""

import numpy as np
import torch

from grader.checks import expect, expect_tensor, expect_type


def test_tensor_that_requires_grad(kata):
    """converts a tensor that requires grad"""
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    a = expect_type(kata.to_numpy(x * 2), np.ndarray, "to_numpy(x)", hint="return a NumPy array")
    expect(a.dtype == np.float32 and a.tolist() == [2.0, 4.0, 6.0],
           f"expected a float32 array [2, 4, 6], got {a.dtype} {a.tolist()}")


def test_back_without_copy(kata):
    """turns an array into a tensor that shares its memory"""
    a = np.arange(6, dtype=np.float64)
    t = expect_tensor(kata.to_tensor(a), "to_tensor(a)", shape=(6,), dtype=torch.float64,
                      hint="keep the array's dtype: torch.from_numpy(a)")
    a[0] = 100.0
    expect(float(t[0]) == 100.0, "the tensor does not share the array's memory: "
           "torch.tensor(a) copies, torch.from_numpy(a) does not")
