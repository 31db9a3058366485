"""A pytest plugin that proves hidden checks read what they are given (`make test` runs the
hidden suites against the solutions with it).

When grading, a check receives its observation from the process that runs the submission, so a
forger controls every byte of it. After a check passes on the solution's observation, this
plugin runs it again on copies where one list, tuple or dict of the observation is emptied. If
the check still passes although it does read that container (it fails when the container is
replaced by an object that refuses every use), the check is vacuous there: a loop over what the
submission returned checks nothing once the submission returns nothing. The test then fails,
naming the container: compare its length or keys with what the check rebuilds.
"""

import copy

import pytest

MAX_FORGERIES = 60  # per test: enough to reach every container of the katas' observations


class Untouchable:
    """Stands where a container was: any use of it raises, so a check that passes with it in
    place never reads that container (a field that another check of the scenario needs)."""

    def __getattribute__(self, name):
        raise AssertionError("read")

    def _refuse(self, *args, **kwargs):
        raise AssertionError("read")

    __iter__ = __len__ = __getitem__ = __contains__ = __eq__ = __bool__ = __hash__ = _refuse


def forgeries(value, replace, path="observed"):
    """(where, copy of `value` with one non-empty container replaced by `replace(container)`)."""
    if isinstance(value, (list, tuple, dict)) and len(value):
        yield path, replace(value)
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            for where, forged in forgeries(item, replace, f"{path}[{key!r}]"):
                if isinstance(value, dict):
                    yield where, {**value, key: forged}
                else:
                    changed = list(value)
                    changed[key] = forged
                    yield where, type(value)(changed)


def vacuous_containers(check, kwargs: dict, observed) -> list[str]:
    """Where emptying a container of `observed` that `check` reads still lets it pass."""
    found = []
    emptied = forgeries(observed, lambda container: type(container)())
    unread = forgeries(observed, lambda container: Untouchable())
    for count, ((where, empty), (_, untouchable)) in enumerate(zip(emptied, unread)):
        if count >= MAX_FORGERIES:
            break
        if _passes(check, kwargs, empty) and not _passes(check, kwargs, untouchable):
            found.append(where)
    return found


def _passes(check, kwargs: dict, observed) -> bool:
    try:
        check(**{**kwargs, "observed": observed})
    except BaseException:  # noqa: BLE001 - any failure is the check refusing the forgery
        return False
    return True


@pytest.hookimpl(hookwrapper=True)
def pytest_pyfunc_call(pyfuncitem):
    if "observed" not in pyfuncitem.funcargs:
        yield
        return
    real = copy.deepcopy(pyfuncitem.funcargs["observed"])
    outcome = yield
    if outcome.excinfo is not None:
        return
    kwargs = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
    found = vacuous_containers(pyfuncitem.obj, kwargs, real)
    if found:
        outcome.force_exception(AssertionError(
            "this check still passes when the submission's process sends an empty container "
            f"in place of {', '.join(found)}: check its length or keys against what the check "
            "rebuilds"))
