"""What the PyTorch checks do when `import torch` fails.

Debian's python3-torch lives in the system Python; a pyenv or venv python3 on PATH
may not see it: run the script again under /usr/bin/python3 when that one is another
Python, else exit 77, which ctest reports as skipped.
"""
import os
import sys


def rerun_or_skip(script, error):
    system = "/usr/bin/python3"
    if os.path.exists(system) and os.path.realpath(sys.executable) != os.path.realpath(system):
        os.execv(system, [system, os.path.abspath(script)] + sys.argv[1:])
    print(f"skipped: {error} (Debian's python3-torch provides it)")
    sys.exit(77)
