# MISTAKE: calls torch.cuda.synchronize() unconditionally, which raises on a machine without CUDA
# FEEDBACK: only when torch.cuda.is_available()
import gc

import torch


def nbytes(x):
    return x.numel() * x.element_size()


def shares_storage(a, b):
    return a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()


def compact_copy(x):
    return x.clone()


def release(cache):
    torch.cuda.synchronize()
    before = torch.cuda.memory_allocated()
    cache.clear()
    gc.collect()
    torch.cuda.empty_cache()
    return before - torch.cuda.memory_allocated()


def cuda_peak_bytes(fn):
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    before = torch.cuda.memory_allocated()
    fn()
    torch.cuda.synchronize()
    return torch.cuda.max_memory_allocated() - before
