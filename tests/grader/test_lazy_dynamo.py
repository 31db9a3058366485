"""grader.runner.lazy_dynamo: eager torch runs alike without torch._dynamo, and loading it later
(torch.compile) still works and changes nothing the integrity snapshot watches.

Each case runs in a fresh interpreter: whether torch._dynamo is loaded is per process, and this
test process has usually loaded it long ago."""

import os
import subprocess
import sys
import textwrap

from tests.grader.support import ROOT

# Eager work that, in plain torch, loads torch._dynamo: optimizer steps (SGD, Adam, AdamW with
# weight decay) and the meta device's kernels. Prints a digest of the results.
EAGER_WORK = """
import torch
torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
for make in (lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9),
             lambda p: torch.optim.Adam(p, lr=0.01),
             lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.1)):
    opt = make(model.parameters())
    for step in range(3):
        opt.zero_grad()
        loss = model(torch.randn(16, 4)).pow(2).mean()
        loss.backward()
        opt.step()
    assert torch.is_grad_enabled(), "the step left autograd switched off"
meta = torch.cat([torch.empty(3, 2, device="meta"), torch.empty(3, 1, device="meta")], dim=1)
assert meta.shape == (3, 3) and meta.device.type == "meta"
assert (torch.empty(2, 3, device="meta") * 2 + 1).shape == (2, 3)
print("digest", [round(float(p.detach().sum()), 6) for p in model.parameters()])
"""


def _run(*parts: str, **env: str) -> subprocess.CompletedProcess:
    script = "\n".join(textwrap.dedent(part) for part in parts)
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True,
        timeout=120, env={**os.environ, **env}, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def test_eager_torch_runs_without_loading_dynamo_and_gives_the_same_results():
    deferred = _run("""
        import sys
        from grader.runner import lazy_dynamo
        assert lazy_dynamo.defer(), "not applied to the pinned torch: the speed-up is lost"
        """, EAGER_WORK, """
        assert "torch._dynamo" not in sys.modules, "something still loaded torch._dynamo"
        """)
    as_torch_does = _run("""
        import sys
        from grader.runner import lazy_dynamo
        assert not lazy_dynamo.defer(), "KATAS_LOAD_DYNAMO=1 must turn it off"
        """, EAGER_WORK, """
        assert "torch._dynamo" in sys.modules
        """, KATAS_LOAD_DYNAMO="1")
    digest = [line for line in deferred.stdout.splitlines() if line.startswith("digest")]
    assert digest and digest == [line for line in as_torch_does.stdout.splitlines()
                                 if line.startswith("digest")]


def test_loading_dynamo_later_changes_nothing_watched_and_compiling_works():
    _run("""
        import sys
        import torch
        from grader.runner import lazy_dynamo
        from grader.runner.guard import Snapshot
        assert lazy_dynamo.defer()
        snapshot = Snapshot.take()
        import torch._dynamo  # what torch.compile in a submission loads
        """, EAGER_WORK, """
        changes = snapshot.changes()
        assert changes == [], changes

        compiled = torch.compile(lambda x: torch.sin(x) * 2, backend="eager")
        x = torch.linspace(0, 1, 5)
        assert torch.equal(compiled(x), torch.sin(x) * 2)
        """)


def test_a_torch_of_another_shape_is_left_alone():
    _run("""
        import torch
        import torch._compile
        from grader.runner import lazy_dynamo

        def _disable_dynamo(fn=None, recursive=True):  # not the shape lazy_dynamo knows
            return fn
        torch._compile._disable_dynamo = torch._disable_dynamo = _disable_dynamo
        seed, step = torch.manual_seed, torch.optim.SGD.step
        assert not lazy_dynamo.defer()
        assert torch._disable_dynamo is _disable_dynamo and torch.manual_seed is seed
        assert torch.optim.SGD.step is step
        """)
