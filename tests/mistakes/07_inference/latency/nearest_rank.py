# MISTAKE: takes percentiles as sorted(values)[int(n * q / 100)]
# FEEDBACK: interpolate linearly
import math
import time

import torch


def percentile(values, q):
    ordered = sorted(values)
    return float(ordered[min(int(len(ordered) * q / 100), len(ordered) - 1)])


def measure_latency(model, x, warmup=3, iters=20, timer=time.perf_counter):
    if iters < 1:
        raise ValueError("iters must be at least 1")
    on_cuda = x.device.type == "cuda"
    times = []
    with torch.inference_mode():
        for _ in range(warmup):
            model(x)
        for _ in range(iters):
            if on_cuda:
                torch.cuda.synchronize()
            start = timer()
            model(x)
            if on_cuda:
                torch.cuda.synchronize()
            times.append(timer() - start)
    return {"median": percentile(times, 50), "p90": percentile(times, 90)}
