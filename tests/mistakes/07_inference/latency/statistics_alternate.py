# ALTERNATE: statistics.median, torch.quantile for p90, inference_mode as a decorator
import statistics
import time

import torch


def percentile(values, q):
    t = torch.tensor(list(values), dtype=torch.float64)
    return torch.quantile(t, q / 100).item()


@torch.inference_mode()
def _run(model, x, warmup, iters, timer):
    for _ in range(warmup):
        model(x)
    out = []
    for _ in range(iters):
        if x.device.type == "cuda":
            torch.cuda.synchronize()
        begin = timer()
        model(x)
        if x.device.type == "cuda":
            torch.cuda.synchronize()
        out.append(timer() - begin)
    return out


def measure_latency(model, x, warmup=3, iters=20, timer=time.perf_counter):
    if not iters >= 1:
        raise ValueError(iters)
    times = _run(model, x, warmup, iters, timer)
    return {"median": float(statistics.median(times)), "p90": percentile(times, 90)}
