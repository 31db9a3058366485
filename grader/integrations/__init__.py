"""The kit for other graders: the student release and Classroom workflow, the nbgrader course,
the Gradescope autograder zip. Built on the manifest and the build; the core never imports these."""
