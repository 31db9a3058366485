# MISTAKE: empties the cache but forgets to return the freed bytes
# FEEDBACK: forget the return
import gc

import torch


def nbytes(x):
    return x.numel() * x.element_size()


def shares_storage(a, b):
    return a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()


def compact_copy(x):
    return x.clone()


def release(cache):
    cache.clear()
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def cuda_peak_bytes(fn):
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    before = torch.cuda.memory_allocated()
    fn()
    torch.cuda.synchronize()
    return torch.cuda.max_memory_allocated() - before
