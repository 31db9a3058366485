# MISTAKE: assumes 4 bytes per element, whatever the dtype
# FEEDBACK: the element size depends on the dtype
import gc

import torch


def nbytes(x):
    return x.numel() * 4


def shares_storage(a, b):
    return a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()


def compact_copy(x):
    return x.clone()


def release(cache):
    cuda = torch.cuda.is_available()
    before = torch.cuda.memory_allocated() if cuda else 0
    cache.clear()
    gc.collect()
    if not cuda:
        return 0
    torch.cuda.empty_cache()
    return before - torch.cuda.memory_allocated()


def cuda_peak_bytes(fn):
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    before = torch.cuda.memory_allocated()
    fn()
    torch.cuda.synchronize()
    return torch.cuda.max_memory_allocated() - before
