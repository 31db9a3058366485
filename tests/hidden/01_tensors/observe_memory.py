"""Scenarios for 01_tensors/memory: they run beside the submission and only observe.

No expected value belongs here (this module is in the submission's process when grading); the
checks are in test_memory.py, which rebuilds the inputs with the builders below. Facts that only
this process can see (storage addresses and sizes, whether a tensor is still alive, CUDA memory
counters) are read here, right after the call, and returned as numbers."""

import weakref

import torch

from grader.checks import explain
from grader.observe import scenario

MiB = 1 << 20

ERRORS = {
    r"dictionary changed size during iteration":
        "a dict cannot lose keys while you loop over it: empty it with cache.clear() (or loop "
        "over list(cache))",
    r"Torch not compiled with CUDA|no NVIDIA driver|No CUDA GPUs":
        "a CUDA function was called on a machine without CUDA: call torch.cuda functions only "
        "when torch.cuda.is_available()",
}

DTYPES = [torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.int8, torch.int64,
          torch.bool, torch.complex64]
META_SIZES = (((1000, 1000), torch.float32), ((4096, 4096, 3), torch.bfloat16))


def randn(seed, *shape, dtype=torch.float32, device="cpu"):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g).to(dtype=dtype, device=device)


def views_of_base():
    """Views of a (10, 8) float64 tensor, with how the messages name them."""
    base = randn(1, 10, 8, dtype=torch.float64)
    return [("x[2:4]", base[2:4]), ("x[:, 1]", base[:, 1]), ("x[::3]", base[::3]),
            ("x.t()[1:3]", base.t()[1:3]), ("x[0, 0]", base[0, 0])]


def sharing_pairs(device):
    x = randn(2, 6, 4, device=device)
    return [("x, x[1:]", x, x[1:]), ("x, x.t()", x, x.t()), ("x, x.view(-1)", x, x.view(-1)),
            ("x, x.detach()", x, x.detach()), ("x[0], x[3]", x[0], x[3]),
            ("x[:, 2], x[2:4]", x[:, 2], x[2:4]), ("x, x", x, x)]


def copied_pairs(device):
    x = randn(3, 5, 4, device=device)
    return [("x, x.clone()", x, x.clone()), ("x, x.to(torch.float64)", x, x.to(torch.float64)),
            ("x[1:], x[1:].clone()", x[1:], x[1:].clone()),
            ("zeros_like(x), zeros_like(x)", torch.zeros_like(x), torch.zeros_like(x)),
            ("x, another tensor", x, randn(4, 5, 4, device=device))]


def big_for_values(dtype, device):
    return (randn(5, 12, 9) * 10).to(dtype=dtype, device=device)


def views_for_values(big):
    return [("big[3:5]", big[3:5]), ("big[:, 2:4]", big[:, 2:4]), ("big[::4, 1]", big[::4, 1]),
            ("big.t()", big.t()), ("big[2, 3]", big[2, 3])]


def big_for_storage(device):
    return randn(6, 100, 50, device=device)


def views_for_storage(big):
    return [("big[10:12]", big[10:12]), ("big[:, 5:7]", big[:, 5:7]), ("big[4]", big[4]),
            ("big[::10]", big[::10]), ("big[:50].t()", big[:50].t())]


def kept_tensor():
    return randn(10, 4, 4)


def _release(kata, cache):
    with explain(ERRORS):
        return kata.release(cache)


def _both_orders(kata, pairs):
    return [(kata.shares_storage(a, b), kata.shares_storage(b, a)) for _, a, b in pairs]


def _storage(tensor):
    """A tensor's storage: where it starts and how many bytes it holds."""
    storage = tensor.untyped_storage()
    return {"data_ptr": storage.data_ptr(), "nbytes": storage.nbytes()}


@scenario
def nbytes_by_dtype(kata, shape):
    return [kata.nbytes(torch.zeros(shape, dtype=dtype)) for dtype in DTYPES]


@scenario
def nbytes_of_views(kata):
    return [kata.nbytes(view) for _, view in views_of_base()]


@scenario
def nbytes_without_allocating(kata):
    return [kata.nbytes(torch.empty(shape, dtype=dtype, device="meta"))
            for shape, dtype in META_SIZES]


@scenario
def views_share_storage(kata, device):
    return _both_orders(kata, sharing_pairs(device))


@scenario
def copies_do_not_share(kata, device):
    return _both_orders(kata, copied_pairs(device))


@scenario
def compact_copy_values(kata, device, dtype):
    big = big_for_values(dtype, device)
    copies = [kata.compact_copy(view) for _, view in views_for_values(big)]
    return {"copies": copies, "big": big}


@scenario
def compact_copy_owns_its_storage(kata, device):
    big = big_for_storage(device)
    copies = []
    for _, view in views_for_storage(big):
        small = kata.compact_copy(view)
        copies.append({"copy": small,
                       "storage": _storage(small) if isinstance(small, torch.Tensor) else None})
    return {"copies": copies, "big_storage": _storage(big)}


@scenario
def compact_copy_is_independent(kata):
    big = randn(7, 8, 8)
    small = kata.compact_copy(big[2:4])
    if isinstance(small, torch.Tensor):  # only a tensor can be written into
        small.fill_(123.0)
    return {"copy": small, "big": big}


def callers_cache():
    """The caller's dict in `release_empties_the_callers_dict`."""
    return {"acts": randn(8, 64, 64), "grads": randn(9, 32), "ids": torch.arange(10)}


@scenario
def release_empties_the_callers_dict(kata):
    cache = callers_cache()
    refs = [weakref.ref(t) for t in cache.values()]
    freed = _release(kata, cache)
    return {"keys": list(cache), "alive": [r() is not None for r in refs], "freed": freed}


@scenario
def release_keeps_tensors_used_elsewhere(kata):
    kept = kept_tensor()
    cache = {"kept": kept, "other": randn(11, 8)}
    _release(kata, cache)
    return {"keys": list(cache), "kept": kept}


@scenario
def release_frees_cuda_memory(kata):
    torch.cuda.synchronize()
    torch.cuda.empty_cache()
    cache = {"a": torch.empty(32 * MiB, dtype=torch.uint8, device="cuda"),
             "b": torch.empty(2 * MiB, dtype=torch.float32, device="cuda")}  # 8 MiB
    reserved = torch.cuda.memory_reserved()
    freed = kata.release(cache)
    return {"freed": freed, "keys": list(cache), "reserved_before": reserved,
            "reserved_after": torch.cuda.memory_reserved()}


def _temporaries():
    """Allocates a 16 MiB temporary, then returns a 1 MiB tensor."""
    tmp = torch.empty(16 * MiB, dtype=torch.uint8, device="cuda")
    tmp.fill_(1)
    del tmp
    return torch.empty(MiB, dtype=torch.uint8, device="cuda")


@scenario
def peak_counts_temporaries(kata):
    return kata.cuda_peak_bytes(_temporaries)


@scenario
def peak_ignores_earlier_peaks_and_live_tensors(kata):
    old = torch.empty(256 * MiB, dtype=torch.uint8, device="cuda")
    del old  # an earlier peak of 256 MiB
    live = torch.empty(64 * MiB, dtype=torch.uint8, device="cuda")  # allocated before fn
    peak = kata.cuda_peak_bytes(lambda: torch.empty(2 * MiB, dtype=torch.uint8, device="cuda"))
    del live
    return peak
