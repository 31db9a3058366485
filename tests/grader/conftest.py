import pytest

from tests.grader.support import FIXTURE_KIT

# The fixture kit and submissions are graded by these tests, never collected as tests.
collect_ignore_glob = ["fixtures/*"]
pytest_plugins = ["pytester"]


@pytest.fixture(scope="session")
def fixture_manifest():
    from grader import manifest

    return manifest.load(FIXTURE_KIT / "katas.toml")
