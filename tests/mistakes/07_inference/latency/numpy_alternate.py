# ALTERNATE: numpy.percentile, timestamps collected in a list, a no-op sync function
import time

import numpy as np
import torch


def percentile(values, q):
    return float(np.percentile(np.asarray(values, dtype=np.float64), q))


def measure_latency(model, x, warmup=3, iters=20, timer=time.perf_counter):
    if iters <= 0:
        raise ValueError("need at least one timed iteration")
    sync = (lambda: torch.cuda.synchronize(x.device)) if x.is_cuda else (lambda: None)
    durations = []
    with torch.inference_mode():
        for i in range(warmup + iters):
            sync()
            t0 = timer()
            model(x)
            sync()
            t1 = timer()
            if i >= warmup:
                durations.append(t1 - t0)
    return {"median": percentile(durations, 50), "p90": percentile(durations, 90)}
