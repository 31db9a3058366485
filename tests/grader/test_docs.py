"""The README's curriculum is the manifest's (one source of truth), and its commands exist."""

import re

from grader import manifest
from grader.cli import curriculum_markdown
from tests.grader.support import ROOT


def test_readme_curriculum_matches_the_manifest():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = curriculum_markdown(manifest.load(ROOT / "katas.toml"))
    assert table in readme, "README curriculum is stale: paste `python -m grader list --markdown`"


def test_readme_commands_are_real():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in re.findall(r"^make (\w+)", readme, re.M):
        assert re.search(rf"^{target}:", makefile, re.M), f"README names `make {target}`"
    from grader.cli import _parser

    commands = set(_parser()._subparsers._group_actions[0].choices)
    for command in re.findall(r"python -m grader ([a-z-]+)", readme):
        assert command in commands, f"README names `python -m grader {command}`"
