"""JUnit XML for CI dashboards: one testsuite per kata, one testcase per test."""

from __future__ import annotations

import re
from xml.etree import ElementTree as ET

from grader.results import Outcome, Report


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # not allowed in XML 1.0


def _clean(text: str) -> str:
    return _NOT_XML.sub("?", text)


def render(report: Report) -> str:
    root = ET.Element("testsuites", name=f"pytorch-katas: {report.submission}")
    for kata in report.katas:
        gradable = [t for t in kata.tests if t.outcome != Outcome.NOT_GRADABLE]
        failures = len(gradable) if kata.error else sum(1 for t in gradable if t.outcome == Outcome.FAILED)
        skipped = len(kata.tests) - len(gradable)
        crashed = bool(kata.error and not kata.tests)
        suite = ET.SubElement(root, "testsuite", name=kata.kata_id,
                              tests=str(len(kata.tests) or int(crashed)), failures=str(failures),
                              errors=str(int(crashed)), skipped=str(skipped))
        if kata.error and not kata.tests:
            case = ET.SubElement(suite, "testcase", classname=kata.kata_id, name="grading")
            ET.SubElement(case, "error", message=_clean(kata.error))
        for test in kata.tests:
            case = ET.SubElement(suite, "testcase", classname=kata.kata_id,
                                 name=test.name.split(": ", 1)[-1])
            if test.outcome == Outcome.NOT_GRADABLE:
                ET.SubElement(case, "skipped", message=_clean(test.message))
            elif kata.error:
                ET.SubElement(case, "failure", message=_clean(kata.error))
            elif test.outcome == Outcome.FAILED:
                message = _clean(test.message)
                ET.SubElement(case, "failure", message=message.splitlines()[0] if message else "failed").text = message
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
