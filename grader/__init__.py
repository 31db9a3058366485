"""pytorch-katas grader: build stubs, run hidden tests in isolated children, report scores."""

__version__ = "0.1.0"
