# ALTERNATE: Tensor.nbytes, storages compared with untyped_storage() ==, and empty_like + copy_
import gc

import torch


def nbytes(x):
    return int(x.nbytes)


def shares_storage(a, b):
    sa, sb = a.untyped_storage(), b.untyped_storage()
    return bool(sa.data_ptr() == sb.data_ptr())


def compact_copy(x):
    out = torch.empty_like(x, memory_format=torch.contiguous_format)
    out.copy_(x)
    return out


def release(cache):
    if not torch.cuda.is_available():
        while cache:
            cache.popitem()
        gc.collect()
        return 0
    torch.cuda.synchronize()
    before = torch.cuda.memory_allocated()
    for key in list(cache):
        del cache[key]
    gc.collect()
    torch.cuda.empty_cache()
    return int(before - torch.cuda.memory_allocated())


def cuda_peak_bytes(fn):
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    before = torch.cuda.memory_allocated()
    fn()
    torch.cuda.synchronize()
    return torch.cuda.max_memory_allocated() - before
