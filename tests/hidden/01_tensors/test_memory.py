"""Hidden tests for 01_tensors/memory: the checks. The scenarios are in observe_memory.py."""

import pytest
import torch

from grader.checks import assert_close, expect, expect_tensor, expect_type
from grader.observe import scenarios_of

scenes = scenarios_of(__file__)
MiB = scenes.MiB

BYTES = ("count the bytes of the tensor's own elements: x.numel() * x.element_size() (the "
         "element size depends on the dtype; numel() alone counts elements, not bytes; "
         "sys.getsizeof measures the Python object)")
VIEW_BYTES = ("a view's bytes are those of its own elements, x.numel() * x.element_size(): the "
              "storage is shared with the tensor it was sliced from, so its size "
              "(untyped_storage().nbytes()) is not the view's")
SHARES = ("a view and its base share one storage even when they start at different elements: "
          "x[1:].data_ptr() differs from x.data_ptr(); compare the storages, "
          "a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()")
NOT_SHARED = ("equal values do not mean shared memory: a copy (clone, .to(another dtype), "
              "zeros_like) has its own storage; compare the storages' data_ptr()")
COMPACT = ("the copy still shares the big tensor's storage, so it keeps all of it alive: "
           ".contiguous() (and slicing, .detach(), .view()) returns a view when no copy is "
           "needed; .clone() always copies")
DEL = ("the caller's dict still holds its tensors: `del cache` (or `del t` in a loop, or "
       "`cache = {}`) only removes a local name, not the dict's entries; empty the dict itself "
       "with cache.clear()")


def _shares(answer):
    return expect_type(answer, bool, "shares_storage(a, b)",
                       hint="return a Python bool (True/False), e.g. the result of ==")


@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 5), (7,), ()], ids=str)
def test_nbytes_by_dtype(observed, shape):
    """counts numel * element size for every dtype, as an int"""
    for dtype, got in zip(scenes.DTYPES, observed, strict=True):
        x = torch.zeros(shape, dtype=dtype)
        want = x.numel() * x.element_size()
        expect_type(got, int, f"nbytes of a {dtype} tensor",
                    hint="return a Python int (numel() and element_size() are ints)")
        expect(got == want, f"{BYTES}\n  a {dtype} tensor of shape {shape} takes {want} bytes, "
               f"got {got}")


def test_nbytes_of_views(observed):
    """counts only the elements of a view, not its shared storage"""
    for (what, view), got in zip(scenes.views_of_base(), observed, strict=True):
        want = view.numel() * 8
        expect(type(got) is int and got == want,
               f"{VIEW_BYTES}\n  {what} of a (10, 8) float64 x takes {want} bytes, got {got!r}")


def test_nbytes_without_allocating(observed):
    """counts bytes of meta tensors too (a size, without any memory)"""
    for (shape, dtype), got in zip(scenes.META_SIZES, observed, strict=True):
        x = torch.empty(shape, dtype=dtype, device="meta")
        want = x.numel() * x.element_size()
        expect(type(got) is int and got == want, f"{BYTES}\n  got {got!r}, expected {want}")


def test_views_share_storage(observed, device):
    """recognises views (slices, t(), view, detach, rows) as sharing storage, in either order"""
    for (what, _, _), (ab, ba) in zip(scenes.sharing_pairs(device), observed, strict=True):
        expect(_shares(ab) is True and _shares(ba) is True, f"{SHARES}\n  ({what}) share storage")


def test_copies_do_not_share(observed, device):
    """says False for copies, even with equal values"""
    for (what, _, _), (ab, ba) in zip(scenes.copied_pairs(device), observed, strict=True):
        expect(_shares(ab) is False and _shares(ba) is False,
               f"{NOT_SHARED}\n  ({what}) do not share storage")


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.int64])
def test_compact_copy_values(observed, device, dtype):
    """returns a copy equal to the view: same values, shape, dtype and device"""
    big = scenes.big_for_values(dtype, device)
    views = scenes.views_for_values(big)
    for (what, view), copy in zip(views, observed["copies"], strict=True):
        assert_close(copy, view.clone(), what=f"compact_copy({what})",
                     hint="the copy must equal the view, with its shape, dtype and device "
                          "(copy the tensor itself: .clone(), not via a list or NumPy)")
    assert_close(observed["big"], big, what="the big tensor after compact_copy",
                 hint="do not change the input")


def test_compact_copy_owns_its_storage(observed, device):
    """the copy's storage is exactly its own size and not shared with the big tensor"""
    views = scenes.views_for_storage(scenes.big_for_storage(device))
    big_ptr = observed["big_storage"]["data_ptr"]
    for (what, view), seen in zip(views, observed["copies"], strict=True):
        expect_tensor(seen["copy"], f"compact_copy({what})", shape=tuple(view.shape))
        own = seen["storage"]["data_ptr"] != big_ptr
        size = seen["storage"]["nbytes"]
        want = view.numel() * view.element_size()
        expect(own and size == want,
               f"{COMPACT}\n  compact_copy({what}): storage of {size} bytes "
               f"({'its own' if own else 'shared with big'}), expected its own {want} bytes")


def test_compact_copy_is_independent(observed):
    """writing into the copy leaves the big tensor unchanged"""
    expect_tensor(observed["copy"], "compact_copy(big[2:4])", shape=(2, 8))
    assert_close(observed["big"], scenes.randn(7, 8, 8),
                 what="big after writing into its compact copy", hint=COMPACT)


def test_release_empties_the_callers_dict(observed):
    """empties the caller's dict so its tensors are freed, and returns 0 bytes without CUDA"""
    keys = observed["keys"]
    expect(len(keys) == 0, f"{DEL}\n  the dict still has the keys {sorted(keys)}")
    alive = observed["alive"]  # one flag per tensor of the cache
    expect(len(alive) == len(scenes.callers_cache()) and all(a is False for a in alive),
           "a tensor of the cache is still alive after release(): do not keep references to "
           "the cached tensors (in a list, a global) once the dict is cleared")
    freed = observed["freed"]
    expect_type(freed, int, "release(cache)'s return value",
                hint="return the number of CUDA bytes freed as an int (0 without CUDA): did you "
                     "forget the return?")
    if not torch.cuda.is_available():
        expect(freed == 0,
               f"without CUDA no CUDA memory is freed: release should return 0, got {freed}")


def test_release_keeps_tensors_used_elsewhere(observed):
    """does not touch tensors that the caller still uses elsewhere"""
    expect(len(observed["keys"]) == 0, DEL)
    assert_close(observed["kept"], scenes.kept_tensor(),
                 what="a tensor that was in the cache and is still used elsewhere",
                 hint="release must only drop the dict's references, not change the tensors")


@pytest.mark.gpu
def test_release_frees_cuda_memory(observed):
    """frees the cache's CUDA memory and returns the freed bytes"""
    freed = expect_type(observed["freed"], int, "release(cache)", hint="return an int")
    expect(len(observed["keys"]) == 0, DEL)
    expect(freed >= 40 * MiB,
           f"release should report the {40 * MiB} bytes its tensors held, got {freed}: read "
           "torch.cuda.memory_allocated() before and after emptying the dict")
    expect(observed["reserved_after"] <= observed["reserved_before"] - 32 * MiB,
           "the freed blocks were not given back to the driver: call torch.cuda.empty_cache() "
           "after the tensors are gone")


@pytest.mark.gpu
def test_peak_counts_temporaries(observed):
    """measures the peak of a function's temporary allocations"""
    peak = expect_type(observed, int, "cuda_peak_bytes(fn)", hint="return an int")
    expect(16 * MiB <= peak <= 18 * MiB,
           f"fn allocates a 16 MiB temporary, so its peak is about {16 * MiB} bytes; got {peak}: "
           "return torch.cuda.max_memory_allocated() (the peak) minus the allocation before fn, "
           "not memory_allocated() after it")


@pytest.mark.gpu
def test_peak_ignores_earlier_peaks_and_live_tensors(observed):
    """ignores peaks before the call and tensors that already existed"""
    peak = expect_type(observed, int, "cuda_peak_bytes(fn)", hint="return an int")
    expect(peak < 8 * MiB,
           f"fn allocates 2 MiB, got a peak of {peak} bytes: call "
           "torch.cuda.reset_peak_memory_stats() before fn (earlier peaks count otherwise) and "
           "subtract torch.cuda.memory_allocated() read just before fn (tensors alive before it)")
    expect(peak >= 2 * MiB, f"fn allocates 2 MiB, got a peak of only {peak} bytes")
