"""Keep torch._dynamo unloaded in the grading processes until something really compiles.

Importing torch._dynamo costs about 0.65 s, half of a bare `import torch`, yet eager PyTorch
loads it for bookkeeping only:

- functions wrapped by `torch._disable_dynamo` (optimizer methods, the kernels behind the meta
  device) import it on their first call, to wrap themselves so that a torch.compile trace skips
  them;
- an optimizer's `step` (`torch.optim.optimizer._use_grad_for_differentiable`) imports it to call
  `torch._dynamo.graph_break()`, which does nothing outside a trace.

No trace can run while torch._dynamo is not loaded, so for eager code the wrapping changes
nothing and the graph break does nothing. `defer()` makes both skip the import until
torch._dynamo is loaded by what really needs it (torch.compile); from then on each behaves
exactly as torch wrote it. Otherwise each grading child would pay the import, or the zygote
before every run. It changes torch only where it finds the exact shapes it expects (checked on
the code objects) and otherwise leaves torch alone, and KATAS_LOAD_DYNAMO=1 turns it off: the
caller then imports torch._dynamo up front, as before.
"""

from __future__ import annotations

import functools
import gc
import os
import sys
import types
from collections.abc import Callable


def _loaded():
    """torch._dynamo, once fully imported (a partial import has no `disable` yet), else None."""
    dynamo = sys.modules.get("torch._dynamo")
    return dynamo if getattr(dynamo, "disable", None) is not None else None


def _nested_code(function: Callable, name: str) -> types.CodeType | None:
    code = getattr(function, "__code__", None)
    consts = code.co_consts if code is not None else ()
    return next((c for c in consts if isinstance(c, types.CodeType) and c.co_name == name), None)


class _UntilDynamoLoads:
    """Stands in for `torch._dynamo.disable(fn)` in the cache that torch's wrapper reads: calls
    `fn` itself while torch._dynamo is not loaded, then steps aside for torch's own path."""

    __slots__ = ("fn", "wrapper")

    def __init__(self, fn: Callable, wrapper: Callable) -> None:
        self.fn = fn
        self.wrapper = wrapper

    def __call__(self, *args, **kwargs):
        if _loaded() is None:
            return self.fn(*args, **kwargs)
        # torch._dynamo is loaded: out of the way, so that torch's wrapper wraps and caches as it
        # always does (delattr: `del self.fn.__dynamo_disable` would be name-mangled in a class).
        if getattr(self.fn, "__dynamo_disable", None) is self:
            delattr(self.fn, "__dynamo_disable")
        return self.wrapper(*args, **kwargs)


def _defer_wrapper(wrapper: Callable, fn: Callable) -> None:
    if getattr(fn, "__dynamo_disable", None) is None:
        try:
            fn.__dynamo_disable = _UntilDynamoLoads(fn, wrapper)
        except (AttributeError, TypeError):  # torch's wrapper could not cache on it either
            pass


def _eager_use_grad(torch, original: Callable, func: Callable) -> Callable:
    """torch's `_use_grad` without its two graph breaks while torch._dynamo is not loaded."""

    def _use_grad(*args, **kwargs):
        if _loaded() is not None:
            return original(*args, **kwargs)
        previous = torch.is_grad_enabled()
        try:
            torch.set_grad_enabled(args[0].defaults["differentiable"])
            return func(*args, **kwargs)
        finally:
            torch.set_grad_enabled(previous)

    functools.update_wrapper(_use_grad, func)
    return _use_grad


def defer() -> bool:
    """Apply (once per process; True when active). False: not applied, import torch._dynamo.

    Each step keeps torch's behaviour on its own, so a step that fails on an unexpected torch
    leaves a consistent torch behind: the caller then imports torch._dynamo as usual."""
    try:
        return _defer()
    except Exception:  # noqa: BLE001 - a speed-up, never a reason not to grade
        return False


def _defer() -> bool:
    import torch
    import torch._compile
    import torch.optim.optimizer as optimizer

    if getattr(torch._compile, "_katas_deferred", False):
        return True
    if os.environ.get("KATAS_LOAD_DYNAMO", "") in ("1", "true") or "torch._dynamo" in sys.modules:
        return False
    disable_dynamo = torch._compile._disable_dynamo
    inner = _nested_code(disable_dynamo, "inner")
    use_grad_factory = optimizer._use_grad_for_differentiable
    use_grad = _nested_code(use_grad_factory, "_use_grad")
    if (inner is None or use_grad is None or torch._disable_dynamo is not disable_dynamo
            or inner.co_freevars[:1] != ("fn",) or "__dynamo_disable" not in inner.co_names
            or use_grad.co_freevars != ("func",) or "graph_break" not in use_grad.co_names
            or torch.manual_seed is not torch.random.manual_seed
            or not hasattr(torch.jit._builtins, "_register_builtin")):
        return False

    # The wrappers torch made while importing: found by their code object.
    for obj in gc.get_objects():
        if type(obj) is types.FunctionType and obj.__code__ is inner and obj.__closure__:
            _defer_wrapper(obj, obj.__closure__[0].cell_contents)

    # Those made from now on (the decorator form returns a partial of the module's name).
    def deferring_disable_dynamo(fn=None, recursive=True):
        if fn is None:
            return functools.partial(deferring_disable_dynamo, recursive=recursive)
        wrapper = disable_dynamo(fn, recursive)
        _defer_wrapper(wrapper, fn)
        return wrapper

    functools.update_wrapper(deferring_disable_dynamo, disable_dynamo)
    torch._compile._disable_dynamo = torch._disable_dynamo = deferring_disable_dynamo

    # Every optimizer's step, and those of optimizers defined later.
    from grader.runner.guard import _all_subclasses

    for cls in (optimizer.Optimizer, *_all_subclasses(optimizer.Optimizer)):
        for name, attr in list(vars(cls).items()):
            if type(attr) is types.FunctionType and attr.__code__ is use_grad and attr.__closure__:
                setattr(cls, name, _eager_use_grad(torch, attr, attr.__closure__[0].cell_contents))

    def eager_use_grad_for_differentiable(func):
        return _eager_use_grad(torch, use_grad_factory(func), func)

    functools.update_wrapper(eager_use_grad_for_differentiable, use_grad_factory)
    optimizer._use_grad_for_differentiable = eager_use_grad_for_differentiable

    # What importing torch._dynamo does to torch's namespace, done now, so that a later import
    # (torch.compile in a submission) changes nothing the integrity snapshot watches.
    torch.manual_seed = torch._disable_dynamo(torch.manual_seed)
    torch.jit._builtins._register_builtin(torch.manual_seed, "aten::manual_seed")
    torch._compile._katas_deferred = True
    return True
