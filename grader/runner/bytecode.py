"""Sharing the assert-rewritten bytecode of the test modules between the children of one run."""

from __future__ import annotations

import sys

import pytest


class SharedTestBytecode:
    """pytest rewrites the asserts of each test module it imports and compiles the result, which
    costs more than many katas' tests. The children of one run share that bytecode through a
    cache folder the supervisor owns (hash-checked against the source by pytest). Written only
    during collection, before any submission code has run; protected from it afterwards."""

    def __init__(self, folder: str):
        self._folder = folder

    @pytest.hookimpl(wrapper=True)
    def pytest_collection(self, session):
        saved = sys.pycache_prefix, sys.dont_write_bytecode
        sys.pycache_prefix, sys.dont_write_bytecode = self._folder, False
        try:
            return (yield)
        finally:
            sys.pycache_prefix, sys.dont_write_bytecode = saved
