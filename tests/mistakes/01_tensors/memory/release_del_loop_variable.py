# MISTAKE: `del t` on the loop variable for each value, which removes nothing from the dict
# FEEDBACK: empty the dict itself
import gc

import torch


def nbytes(x):
    return x.numel() * x.element_size()


def shares_storage(a, b):
    return a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()


def compact_copy(x):
    return x.clone()


def release(cache):
    freed = 0
    for t in cache.values():
        if t.is_cuda:
            freed += t.numel() * t.element_size()
        del t
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    return freed


def cuda_peak_bytes(fn):
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    before = torch.cuda.memory_allocated()
    fn()
    torch.cuda.synchronize()
    return torch.cuda.max_memory_allocated() - before
