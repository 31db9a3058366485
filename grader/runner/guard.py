"""Guards inside a grading child, armed after collection and before any submission code runs.

- `Snapshot`: the identity of every function and type the checks rely on (torch, Tensor,
  nn.Module, F, torch.testing, builtins, pytest, the grader's own modules), taken before the
  submission is imported and compared after each kata. A replaced name, an active
  torch-function or dispatch mode, or a trace/profile hook left behind means tampering: the kata
  scores 0 with the names in the reason.
- `Lockdown`: a pytest plugin that, once collection is done, pre-reads the test sources (so
  failure reports never need to open them again), applies Landlock and a seccomp filter where
  the kernel has them, and installs an audit hook (PEP 578) that refuses, for the rest of the
  process: opening the kit's tests, solutions and .git or other submissions; writing, renaming or
  deleting outside the scratch dir; subprocesses, exec, fork, signals to other processes;
  sockets; ctypes. While submission code is on the stack it also refuses frame and gc
  introspection (sys._getframe, tb_frame/gi_frame/cr_frame, gc.get_referrers/objects), the
  ways to reach the test's locals or the reporter.
"""

from __future__ import annotations

import builtins
import linecache
import operator
import os
import sys
from itertools import repeat
from pathlib import Path

import pytest

from grader.runner import landlock, seccomp


_MISSING = object()


class Snapshot:
    def __init__(self, watched: dict[str, tuple[object, tuple[str, ...], tuple[object, ...]]],
                 tensor_subclasses: list[type], torch_module):
        # label -> (the namespace, its names, their objects: compared with `is`). The namespaces
        # are held too, so replacing this class's methods later does not change what is checked.
        self._watched = watched
        self._subclasses = tensor_subclasses  # held, so that their ids stay theirs
        self._subclass_ids = frozenset(map(id, tensor_subclasses))
        self._torch = torch_module
        self._hooks = (sys.gettrace(), sys.getprofile())  # a profiler or coverage run's own

    @staticmethod
    def _namespaces() -> dict[str, object]:
        import torch
        import torch.nn.functional as F
        import torch.testing

        import grader.checks
        import grader.feedback
        import grader.plugin
        import grader.runner.protocol
        import grader.runner.reporter

        return {
            "torch": torch, "torch.Tensor": torch.Tensor, "torch.nn.Module": torch.nn.Module,
            "torch.nn.functional": F, "torch.testing": torch.testing, "builtins": builtins,
            "pytest": pytest, "grader.checks": grader.checks, "grader.plugin": grader.plugin,
            "grader.feedback": grader.feedback, "grader.runner.reporter": grader.runner.reporter,
            "grader.runner.reporter.Reporter": grader.runner.reporter.Reporter,
            "grader.runner.protocol": grader.runner.protocol, "os": os,
            "grader.runner.guard": sys.modules[__name__], "operator": operator,
        }

    @classmethod
    def take(cls) -> Snapshot:
        import torch

        watched = {}
        for label, namespace in cls._namespaces().items():
            members = dict(vars(namespace))
            watched[label] = (namespace, tuple(members), tuple(members.values()))
        return cls(watched, _all_subclasses(torch.Tensor), torch)

    # The helpers are bound as defaults, at import: a submission that replaces operator.is_ or a
    # builtin later cannot blind the check that would report it.
    def changes(self, _is=operator.is_, _all=all, _map=map, _repeat=repeat, _vars=vars,
                _gettrace=sys.gettrace, _getprofile=sys.getprofile, _missing=_MISSING,
                _modules=sys.modules, _module_type=type(sys)) -> list[str]:
        """What differs from the snapshot, in words (empty when nothing was tampered with).
        Runs after every kata, over thousands of names: the common case (nothing changed) is
        decided by one C-level pass per namespace."""
        torch = self._torch
        problems: list[str] = []
        for label, (namespace, names, values) in self._watched.items():
            if isinstance(namespace, _module_type) and _modules.get(label) is not namespace:
                problems.append(f"the module {label} was removed or replaced in sys.modules")
            members = _vars(namespace)
            if _all(_map(_is, _map(members.get, names, _repeat(_missing)), values)):
                continue
            for name, value in zip(names, values):
                current = members.get(name, _missing)
                if current is not value:
                    problems.append(f"{label}.{name} was " + ("deleted" if current is _missing else "replaced"))
        for cls_ in _all_subclasses(torch.Tensor):
            if id(cls_) not in self._subclass_ids and not str(cls_.__module__).startswith("torch"):
                problems.append(f"a torch.Tensor subclass {cls_.__qualname__} was defined")
        if torch._C._len_torch_function_stack() > 0:
            problems.append("a torch function mode was left active")
        if hasattr(torch._C, "_len_torch_dispatch_stack") and torch._C._len_torch_dispatch_stack() > 0:
            problems.append("a torch dispatch mode was left active")
        if (_gettrace(), _getprofile()) != self._hooks:
            problems.append("a trace or profile hook was installed")
        return problems[:20]



def _all_subclasses(cls: type) -> list[type]:
    """By identity: a metaclass of the submission's may define __eq__ and __hash__."""
    seen, stack = {id(cls)}, [cls]
    found = []
    while stack:
        for sub in type.__subclasses__(stack.pop()):
            if id(sub) not in seen:
                seen.add(id(sub))
                found.append(sub)
                stack.append(sub)
    return found


# ---------------------------------------------------------------------------------------------

_DENIED_ALWAYS = (
    "subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork",
    "os.forkpty", "pty.spawn", "os.kill", "os.killpg", "signal.pthread_kill",
    "socket.__new__", "socket.bind", "socket.connect", "socket.getaddrinfo", "socket.sendto",
    "ctypes.dlopen", "ctypes.dlsym", "ctypes.cdata", "ctypes.call_function", "ctypes.addressof",
    "ctypes.string_at", "ctypes.wstring_at", "ctypes.set_errno", "sys.addaudithook",
    "sys.settrace", "sys.setprofile", "sys.remote_exec", "os.setns", "os.unshare",
    "os.add_dll_directory", "winreg.OpenKey", "_winapi.CreateProcess", "mmap.__new__",
)
_INTROSPECTION = ("sys._getframe", "sys._current_frames", "gc.get_referrers",
                  "gc.get_referents", "gc.get_objects", "sys._current_exceptions")
_FRAME_ATTRS = frozenset({"tb_frame", "gi_frame", "cr_frame", "ag_frame", "f_back"})
# Libraries that read frames for their own bookkeeping (a class's __module__, a warning's
# location, torch's lazy-init tracebacks): a frame request that passes through them is theirs.
_LIBRARY_CALLERS = frozenset({"collections", "typing", "enum", "dataclasses", "abc", "functools",
                              "warnings", "logging", "torch", "numpy", "pytest", "_pytest",
                              "pluggy", "pytest_timeout", "grader"})
_FILE_EVENTS = frozenset({"os.remove", "os.rename", "os.rmdir", "os.mkdir", "os.chmod", "os.chown",
                          "os.link", "os.symlink", "os.truncate", "os.utime", "shutil.rmtree",
                          "shutil.move", "os.replace"})
_LIST_EVENTS = frozenset({"os.listdir", "os.scandir", "glob.glob", "os.walk"})
_WATCHED = frozenset({"open"}) | _FILE_EVENTS | _LIST_EVENTS | frozenset(_INTROSPECTION)
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


AUDIT_LAYER = ("audit hook: no reading tests/solutions, no subprocess, sockets, ctypes, "
               "signals or frame introspection from submission code")


class Lockdown:
    """pytest plugin: arm the guards after collection. (The observer process, which runs no
    pytest, arms the same layers through `arm` and `add_audit_hook`.)"""

    def __init__(self, job, reporter, in_process: bool = True) -> None:
        self._job = job
        self._reporter = reporter
        # False when no submission code runs in this process (every kata of the job is
        # observed by grader.runner.doer): the kernel layers stay, the per-event audit hook and
        # the tamper snapshot, which guard the checks from code beside them, have nothing to do.
        self._in_process = in_process
        self._submission = os.path.realpath(job.submission)
        self._scratch = os.path.realpath(job.scratch)
        self._protected = tuple(os.path.realpath(p) for p in job.protected)
        self._busy = False  # re-entrancy guard: the hook's own frame walk raises events too

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        for item in session.items:  # failure reports read test sources: cache them now
            linecache.getlines(str(item.path))
        self._preimport()
        if self._in_process:
            self._reporter.watch_integrity(Snapshot.take().changes)
        layers, missing = self.arm(audit=self._in_process)
        self._reporter.send({"type": "armed", "isolation": layers, "missing": missing})

    def arm(self, audit: bool = True) -> tuple[list[str], list[str]]:
        """Landlock and seccomp where the kernel has them, then (with `audit`) the audit hook.
        Returns the layers applied and those missing, in words."""
        layers, missing = [], []
        applied = landlock.restrict(
            read_only=self._readable_paths(), read_write=[self._scratch, "/dev/null"]
        )
        if applied:
            layers.append(f"Landlock (ABI {applied}): files outside the submission, the Python "
                          "installation and the scratch dir are unreadable; TCP denied")
        else:
            missing.append("Landlock (not supported by this kernel)")
        if seccomp.apply():
            layers.append("seccomp filter: no exec, ptrace or other processes' memory, "
                          "namespaces, mounts, bpf, io_uring or network sockets, even from "
                          "native code")
        else:
            missing.append("seccomp filter (not supported by this kernel or architecture)")
        if audit:
            self.add_audit_hook()
            layers.append(AUDIT_LAYER)
        return layers, missing

    def add_audit_hook(self) -> None:
        sys.addaudithook(self._hook)

    @staticmethod
    def _preimport() -> None:
        """Modules that reporting may import lazily, loaded while files are still readable."""
        import _pytest.assertion.util  # noqa: F401
        import _pytest.timing  # noqa: F401
        import difflib  # noqa: F401
        import pprint  # noqa: F401

    def _readable_paths(self) -> list[str]:
        import grader

        paths = {self._submission, os.path.dirname(os.path.realpath(grader.__file__)),
                 os.path.realpath(sys.prefix), os.path.realpath(sys.base_prefix),
                 os.path.realpath(sys.exec_prefix),
                 "/usr", "/lib", "/lib64", "/lib32", "/bin", "/etc", "/proc", "/sys", "/dev",
                 "/opt"}
        for entry in sys.path:
            real = os.path.realpath(entry) if entry else ""
            # An entry that holds protected files (a kit checkout on sys.path) stays closed.
            if real and os.path.isdir(real) and not any(
                    p == real or _inside(real, p) or _inside(p, real) for p in self._protected):
                paths.add(real)
        return [p for p in paths if os.path.exists(p)]

    # -- the audit hook ------------------------------------------------------------------------
    def _hook(self, event: str, args: tuple) -> None:
        # Called for every audited event (millions in a run): leave fast unless it matters.
        if event == "object.__getattr__":
            if len(args) < 2 or args[1] not in _FRAME_ATTRS:
                return
        elif event not in _WATCHED and not event.startswith(_DENIED_ALWAYS):
            return
        if self._busy:
            return
        self._busy = True
        try:
            reason = self._check(event, args)
        finally:
            self._busy = False
        if reason:
            raise PermissionError(f"blocked by the grader: {reason}")

    def _check(self, event: str, args: tuple) -> str | None:
        if event == "open":
            return self._check_open(args)
        if event in _FILE_EVENTS:
            for path in args[:2]:
                if isinstance(path, (str, bytes, os.PathLike)) and not self._writable(path):
                    return f"{event} outside the scratch directory"
            return None
        if event in _LIST_EVENTS:
            path = args[0] if args else "."
            if isinstance(path, (str, bytes, os.PathLike)) and self._is_protected(path):
                return f"listing {os.fsdecode(path)}"
            return None
        if event.startswith(_DENIED_ALWAYS):
            return event
        if event in _INTROSPECTION or (event == "object.__getattr__" and len(args) > 1
                                       and args[1] in _FRAME_ATTRS):
            if self._submission_on_stack():
                return f"{event} {args[1] if event == 'object.__getattr__' else ''}".strip()
        return None

    def _check_open(self, args: tuple) -> str | None:
        path, mode, flags = (list(args) + [None, None, None])[:3]
        if path is None or isinstance(path, int):
            return None
        if self._is_protected(path):
            return f"opening {os.fsdecode(path)}"
        writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
            isinstance(flags, int) and flags & _WRITE_FLAGS)
        if writing and not self._writable(path):
            return f"writing {os.fsdecode(path)} (only the scratch directory is writable)"
        return None

    def _real(self, path) -> str:
        return os.path.realpath(os.fsdecode(path))

    def _is_protected(self, path) -> bool:
        real = self._real(path)
        if real == self._submission or _inside(self._submission, real):
            return False
        return any(real == p or _inside(p, real) for p in self._protected)

    def _writable(self, path) -> bool:
        real = self._real(path)
        return real == "/dev/null" or real == self._scratch or _inside(self._scratch, real)

    def _submission_on_stack(self) -> bool:
        """Submission code asked for frames: directly, or through stdlib helpers such as
        inspect or traceback. Library internals (torch, warnings, typing, ...) that read
        frames for their own bookkeeping on its behalf are let through."""
        frame = sys._getframe(3)  # 0: here, 1: _check, 2: _hook, 3: whoever raised the event
        prefix = self._submission + os.sep
        while frame is not None:
            if frame.f_code.co_filename.startswith(prefix):
                return True
            module = frame.f_globals.get("__name__", "")
            if module.split(".")[0] in _LIBRARY_CALLERS:
                return False
            frame = frame.f_back
        return False


def _inside(parent: str, child: str) -> bool:
    return child.startswith(parent.rstrip(os.sep) + os.sep)
