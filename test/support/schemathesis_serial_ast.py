"""Runs schemathesis's command line (`st`) with `ast.parse` serialised across threads.

CPython 3.11's AST conversion keeps its recursion depth in interpreter-wide state, so
two threads parsing at once can raise "SystemError: AST constructor recursion depth
mismatch" (python/cpython#106905, fixed in later Pythons). schemathesis runs its
operations in worker threads, and hypothesis parses source files to describe the
lambdas of its strategies, so a run with several workers hits it now and then. A lock
around `ast.parse` removes the race; nothing else changes.

Usage: python3 test/support/schemathesis_serial_ast.py run <schema url> [st options...]
"""
import ast
import sys
import threading

_lock = threading.Lock()
_parse = ast.parse


def _serialised_parse(*args, **kwargs):
    with _lock:
        return _parse(*args, **kwargs)


ast.parse = _serialised_parse

try:
    from schemathesis.cli import schemathesis
except ImportError as error:  # the test turns this into an install hint
    sys.stderr.write(f"schemathesis is not installed: {error}\n")
    sys.exit(127)

if __name__ == "__main__":
    sys.argv[0] = "st"
    sys.exit(schemathesis())
