# MISTAKE: takes the median as the upper middle value for an even count
# FEEDBACK: mean of the two middle values
import math
import time

import torch


def percentile(values, q):
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return float(ordered[low] + (ordered[high] - ordered[low]) * (position - low))


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
    return {"median": sorted(times)[len(times) // 2], "p90": percentile(times, 90)}
