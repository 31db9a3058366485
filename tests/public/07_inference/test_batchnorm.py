"""Public tests for 07_inference/batchnorm: the basics. The hidden suite checks much more."""

import torch
import torch.nn.functional as F
from torch import nn

from grader.checks import assert_close, expect, manual_seed


def test_train_step_matches_batchnorm(kata):
    """normalises like BatchNorm1d in train mode and updates the running statistics"""
    manual_seed(0)
    x = torch.randn(8, 3) * 2 + 1
    rm, rv = torch.zeros(3), torch.ones(3)
    rm_want, rv_want = rm.clone(), rv.clone()
    expected = F.batch_norm(x, rm_want, rv_want, training=True, momentum=0.1, eps=1e-5)
    out = kata.manual_batchnorm_train_step(x, rm, rv, momentum=0.1, eps=1e-5)
    assert_close(out, expected, what="the normalised batch")
    assert_close(rm, rm_want, what="running_mean after the step")
    assert_close(rv, rv_want, what="running_var after the step",
                 hint="the running variance uses the unbiased batch variance (divide by n - 1)")


def test_recalibrate_resets_stale_statistics(kata):
    """recomputes the running mean of a BatchNorm from the loader's data"""
    manual_seed(1)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    model[1].running_mean.fill_(100.0)  # stale
    batches = [torch.randn(16, 3) + 2 for _ in range(3)]
    kata.recalibrate_bn(model, batches)
    with torch.no_grad():
        means = torch.stack([model[0](b).mean(0) for b in batches]).mean(0)
    assert_close(model[1].running_mean, means, what="running_mean after recalibration",
                 hint="reset the running statistics and average over all batches (momentum=None)")
    expect(model[1].momentum == 0.1, "the BatchNorm's momentum was not restored")
