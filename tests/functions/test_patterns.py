"""No validation pattern in the functions can be satisfied by a trailing newline.

Under ``re.match`` / ``re.search`` a pattern ending in ``$`` also matches before a final
``"\\n"``, so ``"sub\\n"`` passes a "whole string" check (issue 14). The functions validate
with ``fullmatch`` or ``\\Z``; this test keeps a ``$``-anchored pattern from coming back.
"""

from __future__ import annotations

import ast
from pathlib import Path

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"
REGEX_CALLS = {"compile", "match", "search", "fullmatch"}


def _patterns(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in REGEX_CALLS
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "re"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.lineno, node.args[0].value))
    return found


def test_no_pattern_ends_in_a_dollar_anchor() -> None:
    offenders = [
        f"{path.relative_to(FUNCTIONS)}:{line}: {pattern!r}"
        for path in sorted(FUNCTIONS.rglob("*.py"))
        for line, pattern in _patterns(ast.parse(path.read_text(), str(path)))
        if pattern.endswith("$") and not pattern.endswith("\\$")
    ]
    assert offenders == [], offenders


def test_the_scan_sees_the_functions_patterns() -> None:
    # The scan is only worth something if it reads the modules that validate input.
    total = sum(len(_patterns(ast.parse(p.read_text()))) for p in FUNCTIONS.rglob("*.py"))
    assert total >= 5, total
