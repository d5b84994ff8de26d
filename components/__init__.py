"""The stack's Pulumi components.

The functions' environment contracts (``functions/shared/environment.py``) are shared by
the handlers that read them and the components that write them, and must be ONE module
for both. Inside a Lambda package the function's folder and ``shared/`` are the package
root, so handlers import it as ``shared.environment``; the components import it under
that same name. For that, ``functions/`` goes on ``sys.path`` here, once, for every
program that imports a component (``pulumi up`` runs ``__main__.py`` with only the
project directory on the path; the tests' runner does the same). mypy resolves the same
name through pyproject's ``mypy_path = "functions:..."``. Never import it as
``functions.shared.environment``: that would be a second copy of the module with its own
classes (and mypy reports "Source file found twice under different module names").
"""

import sys
from pathlib import Path

FUNCTIONS_PATH = str(Path(__file__).resolve().parent.parent / "functions")
if FUNCTIONS_PATH not in sys.path:
    # First, as the package root is first in Lambda: nothing installed can shadow `shared`.
    sys.path.insert(0, FUNCTIONS_PATH)
