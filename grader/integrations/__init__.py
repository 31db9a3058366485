"""Exports of the kit to other graders (nbgrader). Optional: nothing in the core imports these."""
