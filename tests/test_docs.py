"""The README documents exactly what the code accepts."""

from __future__ import annotations

import re

from offline.config_docs import DESCRIPTIONS, rows, table
from offline.runner import REPO_ROOT


def test_readme_config_table_is_current() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    match = re.search(r"<!-- config-table:start -->\n(.*?)\n<!-- config-table:end -->", readme, re.S)
    assert match, "README lost its config table markers"
    assert match.group(1) == table(), "regenerate with: python -m offline.config_docs"


def test_every_config_key_has_a_description() -> None:
    keys = {key for key, _, _ in rows()}
    assert keys == set(DESCRIPTIONS), "describe new keys and drop removed ones"


def test_readme_names_the_setup_commands_ci_runs() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    ci = (REPO_ROOT / ".ci" / "run").read_text()
    for command in ("make install", "make test"):
        assert command in readme and command in ci
