"""Authoring aid: grade a kata's solution, stub and mistakes corpus with plain pytest.

    .venv/bin/python scripts/check_corpus.py 02_autograd/sgd [more ids...]

For each corpus file: a MISTAKE must fail at least one hidden test and its FEEDBACK phrases must
appear in the failure messages; an ALTERNATE must pass every hidden test.
"""
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from grader import corpus, manifest  # noqa: E402


def run(kata, source: Path):
    with tempfile.TemporaryDirectory() as tmp:
        sub = Path(tmp) / "sub"
        target = sub / kata.relative_file()
        target.parent.mkdir(parents=True)
        shutil.copy(source, target)
        xml = Path(tmp) / "r.xml"
        subprocess.run([sys.executable, "-m", "pytest", str(kata.hidden_tests), "-q", "-p", "no:cacheprovider",
                        "--submission", str(sub), f"--junitxml={xml}", "-o", "junit_family=xunit2"],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
        tree = ET.parse(xml)
        passed = failed = 0
        messages = []
        for case in tree.iter("testcase"):
            bad = [c for c in case if c.tag in ("failure", "error")]
            if bad:
                failed += 1
                messages.extend((b.get("message") or "") + "\n" + (b.text or "")[-2000:] for b in bad)
            elif not any(c.tag == "skipped" for c in case):
                passed += 1
        return passed, failed, "\n".join(messages)


def main(ids):
    m = manifest.load()
    ok = True
    for kata in m.select(ids):
        p, f, _ = run(kata, kata.solution)
        print(f"{kata.id}: solution {p} passed, {f} failed" + ("" if f == 0 else "   <-- SOLUTION MUST PASS"))
        ok &= f == 0
        p, f, msg = run(kata, kata.exercise)
        print(f"{kata.id}: stub {p} passed, {f} failed" + ("" if p == 0 else "   <-- STUB MUST FAIL EVERYTHING"))
        ok &= p == 0
        cases = corpus.cases_for(kata)
        print(f"  {sum(c.kind == 'mistake' for c in cases)} mistakes, {sum(c.kind == 'alternate' for c in cases)} alternates")
        for case in cases:
            p, f, msg = run(kata, case.path)
            if case.kind == "alternate":
                good = f == 0
                why = "" if good else f"  <-- ALTERNATE FAILED {f} test(s):\n{msg[:1500]}"
            else:
                missing = corpus.missing_feedback(case, msg)
                good = f > 0 and not missing
                why = "" if good else (f"  <-- NOT CAUGHT (all tests pass)" if f == 0 else f"  <-- feedback lacks {missing}:\n{msg[:1500]}")
            ok &= good
            print(f"  {'ok  ' if good else 'FAIL'} {case.kind:9} {case.path.name}: {p} passed, {f} failed{why}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
