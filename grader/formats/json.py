"""The versioned JSON result model (schema: docs/results-schema.md)."""

from __future__ import annotations

import json as _json

from grader.results import Report


def render(report: Report) -> str:
    return _json.dumps(report.to_dict(), indent=2, sort_keys=False) + "\n"
