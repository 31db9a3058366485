"""The manifest is the single source of truth; malformed entries fail naming file and entry."""

import pytest

from grader import manifest
from tests.grader.support import ROOT

GOOD = 'format = 1\n[[kata]]\nid = "01_x/y"\ntitle = "T"\ntopic = "t"\npoints = 3\nhints = ["h"]\n'


def load(tmp_path, text):
    path = tmp_path / "katas.toml"
    path.write_text(text)
    return manifest.load(path)


def test_paths_follow_from_the_id(tmp_path):
    kata = load(tmp_path, GOOD).katas[0]
    assert kata.solution == tmp_path / "solutions" / "01_x" / "y.py"
    assert kata.exercise == tmp_path / "exercises" / "01_x" / "y.py"
    assert kata.public_tests == tmp_path / "tests" / "public" / "01_x" / "test_y.py"
    assert kata.hidden_tests == tmp_path / "tests" / "hidden" / "01_x" / "test_y.py"
    assert kata.mistakes_dir == tmp_path / "tests" / "mistakes" / "01_x" / "y"
    assert kata.timeout == manifest.DEFAULT_TIMEOUT_S


@pytest.mark.parametrize("text, words", [
    ("format = 2\n", "format = 2"),
    ("format = 1\n", "no [[kata]] entries"),
    ("not toml [", "not valid TOML"),
    (GOOD.replace('"01_x/y"', '"Bad Id"'), "must look like"),
    (GOOD.replace("points = 3", "points = 0"), "'points' must be a positive integer"),
    (GOOD.replace('hints = ["h"]', "hints = []"), "'hints' must be a non-empty list"),
    (GOOD.replace('title = "T"', 'title = ""'), "'title' must be a non-empty string"),
    (GOOD + 'colour = "red"\n', "unknown key(s) colour"),
    (GOOD + GOOD.replace("format = 1\n", ""), "listed twice"),
])
def test_malformed_manifest_names_file_and_entry(tmp_path, text, words):
    with pytest.raises(manifest.ManifestError) as err:
        load(tmp_path, text)
    assert words in str(err.value)
    assert "katas.toml" in str(err.value)


def test_select_keeps_manifest_order_and_rejects_unknown_ids():
    m = manifest.load(ROOT / "katas.toml")
    first, second = m.ids[0], m.ids[1]
    assert [k.id for k in m.select([second, first])] == [first, second]
    with pytest.raises(KeyError):
        m.select(["99_nope/x"])


def test_the_kit_manifest_loads():
    m = manifest.load(ROOT / "katas.toml")
    assert len(m.katas) >= 6
    assert all(k.hints for k in m.katas)
