"""The learner's loop: `check`, `hint`, `progress` (and `list`), `watch`.

They run the public tests through the same runner as `grade` and keep a little state in
`.katas/` (ignored by git): which kata file contents passed, and how many hints were shown.
"""
