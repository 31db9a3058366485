"""`python -m grader`: argument parsing and wiring only."""
from __future__ import annotations

import argparse
import sys

from grader import build as build_mod
from grader import manifest as manifest_mod


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader")
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build")
    b.add_argument("--check", action="store_true")
    b.add_argument("--force", action="store_true")
    b.add_argument("--kata", action="append")
    args = parser.parse_args(argv)
    manifest = manifest_mod.load()
    for r in build_mod.build(manifest, args.kata, check=args.check, force=args.force):
        print(r.kata.id, r.action, r.message)
    return 0
