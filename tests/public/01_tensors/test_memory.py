"""Public tests for 01_tensors/memory: the basics. The hidden suite checks much more."""

import torch

from grader.checks import assert_close, expect, expect_type


def test_bytes_of_a_tensor(kata):
    """counts the bytes of a tensor's elements"""
    n = expect_type(kata.nbytes(torch.zeros(2, 3)), int, "nbytes(float32 (2, 3) tensor)",
                    hint="return a Python int")
    expect(n == 24, f"a (2, 3) float32 tensor takes 6 * 4 = 24 bytes, got {n}")


def test_views_share_storage(kata):
    """a slice shares its storage, a clone does not"""
    x = torch.arange(10.0)
    expect(kata.shares_storage(x, x[2:]) is True, "x[2:] is a view of x: they share storage")
    expect(kata.shares_storage(x, x.clone()) is False, "x.clone() is a copy: it has its own storage")


def test_compact_copy(kata):
    """copies a slice into a storage of its own"""
    big = torch.arange(100.0).reshape(10, 10)
    small = kata.compact_copy(big[:2])
    assert_close(small, big[:2].clone(), what="compact_copy(big[:2])", hint="the copy must equal the slice")
    expect(small.untyped_storage().nbytes() == 80,
           f"the copy's storage holds {small.untyped_storage().nbytes()} bytes, expected 80 "
           "(2 rows of 10 float32): it should not keep the whole big tensor alive")
