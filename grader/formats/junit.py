"""JUnit XML for CI dashboards: one testsuite per kata, one testcase per test."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from grader.results import Outcome, Report


def render(report: Report) -> str:
    root = ET.Element("testsuites", name=f"pytorch-katas: {report.submission}")
    for kata in report.katas:
        failures = sum(1 for t in kata.tests if t.outcome == Outcome.FAILED or kata.error)
        skipped = sum(1 for t in kata.tests if t.outcome == Outcome.NOT_GRADABLE)
        suite = ET.SubElement(root, "testsuite", name=kata.kata_id, tests=str(len(kata.tests)),
                              failures=str(failures), errors="0", skipped=str(skipped))
        if kata.error and not kata.tests:
            case = ET.SubElement(suite, "testcase", classname=kata.kata_id, name="grading")
            ET.SubElement(case, "error", message=kata.error)
        for test in kata.tests:
            case = ET.SubElement(suite, "testcase", classname=kata.kata_id,
                                 name=test.name.split(": ", 1)[-1])
            if test.outcome == Outcome.NOT_GRADABLE:
                ET.SubElement(case, "skipped", message=test.message)
            elif kata.error:
                ET.SubElement(case, "failure", message=kata.error)
            elif test.outcome == Outcome.FAILED:
                ET.SubElement(case, "failure", message=test.message.splitlines()[0] if test.message else "failed").text = test.message
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
