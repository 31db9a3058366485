"""The pytest plugin every kata test runs under.

Provides:
- `--submission DIR`: where kata files are imported from (default: `exercises/` in the kit root,
  so a learner who types `pytest` tests their own work, never the solutions);
- the markers `gpu`, `weight(n)` and `kata(id)`;
- a `device` parameter for any test that asks for it: `cpu`, and `cuda` marked `gpu`. Without
  CUDA the cuda variants are skipped visibly ("needs CUDA: not graded here");
- the `kata` fixture: the kata module, imported fresh from the submission for each test. A file
  that is missing, does not compile, raises at import or lacks a name fails only the tests that
  use it, with the file, line and error in the message;
- a reset of torch's global state around every test, so one test (or submission) cannot poison
  the next: grad mode, default dtype and device, seed, thread count, anomaly detection.
"""

from __future__ import annotations

import importlib.util
import traceback
import types
from pathlib import Path
from typing import Any

import pytest

from grader import feedback
from grader.results import NOT_GRADED_HERE

SUBMISSION_OPTION = "--submission"
_TEST_ROOTS = ("public", "hidden")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("katas", "pytorch-katas")
    group.addoption(
        SUBMISSION_OPTION,
        action="store",
        default=None,
        metavar="DIR",
        help="directory holding the kata files to test (default: exercises/ in the kit root)",
    )


def pytest_configure(config: pytest.Config) -> None:
    for line in (
        "gpu: needs a CUDA device; skipped visibly (not graded here) on machines without one",
        "weight(n): this test's share of the kata's points (default 1)",
        "kata(id): the kata this test grades (default: from the test file's path)",
    ):
        config.addinivalue_line("markers", line)
    config.stash[_submission_key] = _resolve_submission(config)


_submission_key = pytest.StashKey[Path]()


def _resolve_submission(config: pytest.Config) -> Path:
    given = config.getoption(SUBMISSION_OPTION)
    if given:
        path = Path(given)
        if not path.is_absolute():
            path = Path(config.invocation_params.dir) / path
    else:
        path = Path(config.rootpath) / "exercises"
    path = path.resolve()
    if not path.is_dir():
        raise pytest.UsageError(
            f"{SUBMISSION_OPTION} {given or path}: no such directory. "
            "Point it at a folder laid out like exercises/ (e.g. --submission solutions)."
        )
    return path


def submission_dir(config: pytest.Config) -> Path:
    return config.stash[_submission_key]


_kata_id_key = pytest.StashKey[str]()


def kata_id_for(node: pytest.Item) -> str:
    """The kata a test grades: its `kata` marker, else `tests/{public,hidden}/<chapter>/test_<name>.py`."""
    cached = node.stash.get(_kata_id_key, None)
    if cached is None:
        cached = node.stash[_kata_id_key] = _find_kata_id(node)
    return cached


def _find_kata_id(node: pytest.Item) -> str:
    marker = node.get_closest_marker("kata")
    if marker is not None:
        return str(marker.args[0])
    path = Path(str(node.path))
    parts = path.parts
    for index in range(len(parts) - 3, -1, -1):
        if parts[index] in _TEST_ROOTS and path.stem.startswith("test_"):
            return f"{parts[index + 1]}/{path.stem[len('test_'):]}"
    raise pytest.UsageError(
        f"{path}: cannot tell which kata this test grades: put it under "
        "tests/public/<chapter>/test_<name>.py (or tests/hidden/...), or mark it @pytest.mark.kata(id)"
    )


# ---------------------------------------------------------------------------------------------
# device parameter and gpu marker


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "device" in metafunc.fixturenames and not _already_parametrized(metafunc, "device"):
        metafunc.parametrize(
            "device",
            [pytest.param("cpu", id="cpu"), pytest.param("cuda", id="cuda", marks=pytest.mark.gpu)],
        )


def _already_parametrized(metafunc: pytest.Metafunc, name: str) -> bool:
    return any(name in m.args[0] for m in metafunc.definition.iter_markers("parametrize")
               if m.args and isinstance(m.args[0], (str, list, tuple)))


def cuda_available() -> bool:
    import torch

    return bool(torch.cuda.is_available())


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("gpu") is not None and not cuda_available():
        pytest.skip(NOT_GRADED_HERE)


# ---------------------------------------------------------------------------------------------
# feedback: every failure starts with the sentence a learner needs


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    try:
        report.kata_id = kata_id_for(item)
    except pytest.UsageError:
        pass
    if not report.failed or call.excinfo is None:
        return
    from grader.checks import KataFailure  # imports torch: only once a test has failed

    exc = call.excinfo.value
    message = feedback.message_for(exc, submission_dir(item.config))
    report.kata_feedback = message
    report.kata_not_implemented = feedback.is_stub_error(exc)
    if isinstance(exc, (KataFailure, pytest.fail.Exception)):
        report.longrepr = message  # the check's own words; its traceback is the test's, not yours
    else:
        report.longrepr = f"{message}\n\n{report.longrepr}"


# ---------------------------------------------------------------------------------------------
# a one-line summary per kata at the end of a plain `pytest` run

@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    per_kata: dict[str, list[str]] = {}
    for key in ("passed", "failed", "error", "skipped"):
        for report in terminalreporter.stats.get(key, []):
            kata = getattr(report, "kata_id", None)
            if kata is None or getattr(report, "when", "call") not in ("call", "setup"):
                continue
            if report.when == "setup" and report.passed:
                continue
            per_kata.setdefault(kata, []).append(key)
    if not per_kata:
        return
    terminalreporter.section("katas", sep="-")
    for kata, outcomes in sorted(per_kata.items()):
        counted = [o for o in outcomes if o != "skipped"]
        passed = counted.count("passed")
        if counted and passed == len(counted):
            verdict = "done"
        else:
            verdict = f"{passed}/{len(counted)} tests"
        skipped = outcomes.count("skipped")
        extra = f" ({skipped} need CUDA: skipped)" if skipped else ""
        terminalreporter.write_line(f"{kata}: {verdict}{extra}")


# ---------------------------------------------------------------------------------------------
# torch global state


@pytest.fixture(autouse=True)
def _fresh_torch_state():
    import torch

    threads = torch.get_num_threads()
    reset_torch(threads)
    yield
    reset_torch(threads)


def reset_torch(threads: int) -> None:
    import torch

    torch.set_grad_enabled(True)
    torch.set_default_dtype(torch.float32)
    if hasattr(torch, "set_default_device"):
        torch.set_default_device(None)
    torch.autograd.set_detect_anomaly(False)
    if torch.are_deterministic_algorithms_enabled():  # the setter's first call costs seconds
        torch.use_deterministic_algorithms(False)
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    # torch.manual_seed records a stack trace for lazy CUDA seeding (~10 ms a call): seed the
    # CPU generator directly, and CUDA's only where it is already initialised.
    torch.default_generator.manual_seed(0)
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        torch.cuda.manual_seed_all(0)


# ---------------------------------------------------------------------------------------------
# the kata fixture


BROKER_KEY = pytest.StashKey[Any]()  # set in a grading child: scenarios run in another process


_CODE_CACHE: dict[tuple[str, str], types.CodeType] = {}


def _compiled(source: str, filename: str) -> types.CodeType:
    """Each test imports the kata afresh, but the same text need not be compiled again."""
    key = (filename, source)
    code = _CODE_CACHE.get(key)
    if code is None:
        code = _CODE_CACHE[key] = compile(source, filename, "exec")
    return code


class KataModule:
    """The submission's kata module; a missing name fails the test with a clear message."""

    def __init__(self, module: types.ModuleType, display: str) -> None:
        object.__setattr__(self, "_module", module)
        object.__setattr__(self, "_display", display)

    def __getattr__(self, name: str) -> Any:
        module = object.__getattribute__(self, "_module")
        try:
            return getattr(module, name)
        except AttributeError:
            display = object.__getattribute__(self, "_display")
            pytest.fail(
                f"{display} does not define `{name}`: keep the names and signatures from the "
                "exercise (did you rename or delete it?)",
                pytrace=False,
            )

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("the kata module is read-only in tests")


@pytest.fixture
def kata(request: pytest.FixtureRequest) -> KataModule:
    kata_id = kata_id_for(request.node)
    broker = request.config.stash.get(BROKER_KEY, None)
    if broker is not None and broker.observes(kata_id):
        pytest.fail(f"{kata_id}: a hidden check asked for `kata`, but this kata's submission "
                    "code runs only in the observer: take `observed` and move the call into a "
                    "scenario (python -m grader lint says where); not your code", pytrace=False)
    root = submission_dir(request.config)
    return load_kata(root / f"{kata_id}.py", kata_id, display=_display(root, kata_id))


# ---------------------------------------------------------------------------------------------
# the observed fixture: what the test's scenario saw (grader.observe)


@pytest.fixture
def observed(request: pytest.FixtureRequest) -> Any:
    from grader import observe

    fn, wanted = observe.scenario_for(request.node)
    broker = request.config.stash.get(BROKER_KEY, None)
    if broker is not None:
        return broker.observation(kata_id_for(request.node), wanted)
    import torch

    threads = torch.get_num_threads()
    provided = {name: (lambda n=name: request.getfixturevalue(n)) for name in observe.PROVIDED}
    value = observe.call(fn, provided, wanted, lambda: reset_torch(threads))
    # Through the same packing as when grading, so both see the same kinds of values.
    return observe.unpack(observe.pack(value))


def _display(root: Path, kata_id: str) -> str:
    return f"{root.name}/{kata_id}.py"


def load_kata(path: Path, kata_id: str, display: str | None = None) -> KataModule:
    """Import `path` as a fresh module (never cached in sys.modules, never from sys.path)."""
    display = display or str(path)
    if not path.is_file():
        pytest.fail(f"{display} is missing: create it (copy the stub from exercises/{kata_id}.py)",
                    pytrace=False)
    try:
        source = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        pytest.fail(f"{display} is not UTF-8 text ({err}): save it as UTF-8", pytrace=False)
    try:
        code = _compiled(source, str(path))
    except SyntaxError as err:
        pointer = f", column {err.offset}" if err.offset else ""
        line = (err.text or "").rstrip()
        shown = f"\n    {line}" if line else ""
        pytest.fail(
            f"{display}:{err.lineno}: {type(err).__name__}: {err.msg} (line {err.lineno}{pointer})"
            f"{shown}\n  Fix the syntax error, then run the tests again.",
            pytrace=False,
        )
    name = "kata_" + kata_id.replace("/", "__")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    try:
        exec(code, module.__dict__)  # noqa: S102 - this is the import of the learner's file
    except BaseException as err:  # noqa: BLE001 - SystemExit/KeyboardInterrupt at import too
        line = _line_in(err, str(path))
        where = f"{display}:{line}" if line else display
        words = feedback.safe_str(err)[:500]
        pytest.fail(
            f"{where}: importing the file raised {type(err).__name__}: {words}\n"
            "  Code at the top level of the file runs on import: keep work inside the functions.",
            pytrace=False,
        )
    return KataModule(module, display)


def _line_in(err: BaseException, filename: str) -> int | None:
    line = None
    for frame, lineno in traceback.walk_tb(err.__traceback__):
        if frame.f_code.co_filename == filename:
            line = lineno
    return line
