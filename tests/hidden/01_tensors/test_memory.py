"""Hidden tests for 01_tensors/memory."""

import weakref

import pytest
import torch

from grader.checks import assert_close, expect, expect_tensor, expect_type, explain

MiB = 1 << 20

ERRORS = {
    r"dictionary changed size during iteration":
        "a dict cannot lose keys while you loop over it: empty it with cache.clear() (or loop "
        "over list(cache))",
    r"Torch not compiled with CUDA|no NVIDIA driver|No CUDA GPUs":
        "a CUDA function was called on a machine without CUDA: call torch.cuda functions only "
        "when torch.cuda.is_available()",
}

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


def _randn(seed, *shape, dtype=torch.float32, device="cpu"):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g).to(dtype=dtype, device=device)


def _shares(kata, a, b):
    return expect_type(kata.shares_storage(a, b), bool, "shares_storage(a, b)",
                       hint="return a Python bool (True/False), e.g. the result of ==")


DTYPES = [torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.int8, torch.int64,
          torch.bool, torch.complex64]


@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 5), (7,), ()], ids=str)
def test_nbytes_by_dtype(kata, shape):
    """counts numel * element size for every dtype, as an int"""
    for dtype in DTYPES:
        x = torch.zeros(shape, dtype=dtype)
        want = x.numel() * x.element_size()
        got = expect_type(kata.nbytes(x), int, f"nbytes of a {dtype} tensor",
                          hint="return a Python int (numel() and element_size() are ints)")
        expect(got == want, f"{BYTES}\n  a {dtype} tensor of shape {shape} takes {want} bytes, "
               f"got {got}")


def test_nbytes_of_views(kata):
    """counts only the elements of a view, not its shared storage"""
    base = _randn(1, 10, 8, dtype=torch.float64)
    for what, view in (("x[2:4]", base[2:4]), ("x[:, 1]", base[:, 1]), ("x[::3]", base[::3]),
                       ("x.t()[1:3]", base.t()[1:3]), ("x[0, 0]", base[0, 0])):
        want = view.numel() * 8
        got = kata.nbytes(view)
        expect(type(got) is int and got == want,
               f"{VIEW_BYTES}\n  {what} of a (10, 8) float64 x takes {want} bytes, got {got!r}")


def test_nbytes_without_allocating(kata):
    """counts bytes of meta tensors too (a size, without any memory)"""
    for shape, dtype in (((1000, 1000), torch.float32), ((4096, 4096, 3), torch.bfloat16)):
        x = torch.empty(shape, dtype=dtype, device="meta")
        want = x.numel() * x.element_size()
        got = kata.nbytes(x)
        expect(type(got) is int and got == want, f"{BYTES}\n  got {got!r}, expected {want}")


def test_views_share_storage(kata, device):
    """recognises views (slices, t(), view, detach, rows) as sharing storage, in either order"""
    x = _randn(2, 6, 4, device=device)
    for what, a, b in (("x, x[1:]", x, x[1:]), ("x, x.t()", x, x.t()),
                       ("x, x.view(-1)", x, x.view(-1)), ("x, x.detach()", x, x.detach()),
                       ("x[0], x[3]", x[0], x[3]), ("x[:, 2], x[2:4]", x[:, 2], x[2:4]),
                       ("x, x", x, x)):
        expect(_shares(kata, a, b) is True and _shares(kata, b, a) is True,
               f"{SHARES}\n  ({what}) share storage")


def test_copies_do_not_share(kata, device):
    """says False for copies, even with equal values"""
    x = _randn(3, 5, 4, device=device)
    for what, a, b in (("x, x.clone()", x, x.clone()), ("x, x.to(torch.float64)", x, x.to(torch.float64)),
                       ("x[1:], x[1:].clone()", x[1:], x[1:].clone()),
                       ("zeros_like(x), zeros_like(x)", torch.zeros_like(x), torch.zeros_like(x)),
                       ("x, another tensor", x, _randn(4, 5, 4, device=device))):
        expect(_shares(kata, a, b) is False and _shares(kata, b, a) is False,
               f"{NOT_SHARED}\n  ({what}) do not share storage")


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.int64])
def test_compact_copy_values(kata, device, dtype):
    """returns a copy equal to the view: same values, shape, dtype and device"""
    big = (_randn(5, 12, 9) * 10).to(dtype=dtype, device=device)
    before = big.clone()
    for what, view in (("big[3:5]", big[3:5]), ("big[:, 2:4]", big[:, 2:4]), ("big[::4, 1]", big[::4, 1]),
                       ("big.t()", big.t()), ("big[2, 3]", big[2, 3])):
        assert_close(kata.compact_copy(view), view.clone(), what=f"compact_copy({what})",
                     hint="the copy must equal the view, with its shape, dtype and device "
                          "(copy the tensor itself: .clone(), not via a list or NumPy)")
    assert_close(big, before, what="the big tensor after compact_copy", hint="do not change the input")


def test_compact_copy_owns_its_storage(kata, device):
    """the copy's storage is exactly its own size and not shared with the big tensor"""
    big = _randn(6, 100, 50, device=device)
    for what, view in (("big[10:12]", big[10:12]), ("big[:, 5:7]", big[:, 5:7]), ("big[4]", big[4]),
                       ("big[::10]", big[::10]), ("big[:50].t()", big[:50].t())):
        small = kata.compact_copy(view)
        expect_tensor(small, f"compact_copy({what})", shape=tuple(view.shape))
        own = small.untyped_storage().data_ptr() != big.untyped_storage().data_ptr()
        size = small.untyped_storage().nbytes()
        want = view.numel() * view.element_size()
        expect(own and size == want,
               f"{COMPACT}\n  compact_copy({what}): storage of {size} bytes "
               f"({'its own' if own else 'shared with big'}), expected its own {want} bytes")


def test_compact_copy_is_independent(kata):
    """writing into the copy leaves the big tensor unchanged"""
    big = _randn(7, 8, 8)
    before = big.clone()
    small = kata.compact_copy(big[2:4])
    expect_tensor(small, "compact_copy(big[2:4])", shape=(2, 8))
    small.fill_(123.0)
    assert_close(big, before, what="big after writing into its compact copy", hint=COMPACT)


def test_release_empties_the_callers_dict(kata):
    """empties the caller's dict so its tensors are freed, and returns 0 bytes without CUDA"""
    cache = {"acts": _randn(8, 64, 64), "grads": _randn(9, 32), "ids": torch.arange(10)}
    refs = [weakref.ref(t) for t in cache.values()]
    with explain(ERRORS):
        freed = kata.release(cache)
    expect(len(cache) == 0, f"{DEL}\n  the dict still has the keys {sorted(cache)}")
    expect(all(r() is None for r in refs),
           "a tensor of the cache is still alive after release(): do not keep references to "
           "the cached tensors (in a list, a global) once the dict is cleared")
    expect_type(freed, int, "release(cache)'s return value",
                hint="return the number of CUDA bytes freed as an int (0 without CUDA): did you "
                     "forget the return?")
    if not torch.cuda.is_available():
        expect(freed == 0, f"without CUDA no CUDA memory is freed: release should return 0, got {freed}")


def test_release_keeps_tensors_used_elsewhere(kata):
    """does not touch tensors that the caller still uses elsewhere"""
    kept = _randn(10, 4, 4)
    before = kept.clone()
    cache = {"kept": kept, "other": _randn(11, 8)}
    with explain(ERRORS):
        kata.release(cache)
    expect(len(cache) == 0, DEL)
    assert_close(kept, before, what="a tensor that was in the cache and is still used elsewhere",
                 hint="release must only drop the dict's references, not change the tensors")


@pytest.mark.gpu
def test_release_frees_cuda_memory(kata):
    """frees the cache's CUDA memory and returns the freed bytes"""
    torch.cuda.synchronize()
    torch.cuda.empty_cache()
    cache = {"a": torch.empty(32 * MiB, dtype=torch.uint8, device="cuda"),
             "b": torch.empty(2 * MiB, dtype=torch.float32, device="cuda")}  # 8 MiB
    reserved = torch.cuda.memory_reserved()
    freed = expect_type(kata.release(cache), int, "release(cache)", hint="return an int")
    expect(len(cache) == 0, DEL)
    expect(freed >= 40 * MiB,
           f"release should report the {40 * MiB} bytes its tensors held, got {freed}: read "
           "torch.cuda.memory_allocated() before and after emptying the dict")
    expect(torch.cuda.memory_reserved() <= reserved - 32 * MiB,
           "the freed blocks were not given back to the driver: call torch.cuda.empty_cache() "
           "after the tensors are gone")


@pytest.mark.gpu
def test_peak_counts_temporaries(kata):
    """measures the peak of a function's temporary allocations"""
    def work():
        tmp = torch.empty(16 * MiB, dtype=torch.uint8, device="cuda")
        tmp.fill_(1)
        del tmp
        return torch.empty(MiB, dtype=torch.uint8, device="cuda")

    peak = expect_type(kata.cuda_peak_bytes(work), int, "cuda_peak_bytes(fn)", hint="return an int")
    expect(16 * MiB <= peak <= 18 * MiB,
           f"fn allocates a 16 MiB temporary, so its peak is about {16 * MiB} bytes; got {peak}: "
           "return torch.cuda.max_memory_allocated() (the peak) minus the allocation before fn, "
           "not memory_allocated() after it")


@pytest.mark.gpu
def test_peak_ignores_earlier_peaks_and_live_tensors(kata):
    """ignores peaks before the call and tensors that already existed"""
    old = torch.empty(256 * MiB, dtype=torch.uint8, device="cuda")
    del old  # an earlier peak of 256 MiB
    live = torch.empty(64 * MiB, dtype=torch.uint8, device="cuda")  # allocated before fn
    peak = expect_type(kata.cuda_peak_bytes(lambda: torch.empty(2 * MiB, dtype=torch.uint8, device="cuda")),
                       int, "cuda_peak_bytes(fn)", hint="return an int")
    expect(peak < 8 * MiB,
           f"fn allocates 2 MiB, got a peak of {peak} bytes: call "
           "torch.cuda.reset_peak_memory_stats() before fn (earlier peaks count otherwise) and "
           "subtract torch.cuda.memory_allocated() read just before fn (tensors alive before it)")
    expect(peak >= 2 * MiB, f"fn allocates 2 MiB, got a peak of only {peak} bytes")
    del live
