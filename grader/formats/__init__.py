"""Output formats: each module is `render(report) -> str`, a pure function of the result model."""

from grader.formats import classroom, csv, gradescope, json, junit, text

RENDERERS = {
    "text": text.render,
    "json": json.render,
    "gradescope": gradescope.render,
    "junit": junit.render,
    "csv": csv.render,
    "classroom": classroom.render,
}
