"""The docs document exactly what the code accepts, and every reference in them resolves.

A newcomer follows links: a link to a moved file or a renamed heading is a dead end, and a
citation of a document that is not in the repository cannot be followed at all. So every
relative link and anchor in the README, ``docs/`` and ``policies/README.md`` must resolve,
every repository path they name in code must exist, and nothing tracked may cite the
design documents this project was started from instead of its own ``docs/``.
"""

from __future__ import annotations

import glob
import re
import shutil
import subprocess
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest

from offline.config_docs import DESCRIPTIONS, rows, table
from offline.runner import REPO_ROOT
from policies.rules import all_rules

CONFIG_DOC = REPO_ROOT / "docs" / "configuration.md"
#: The pages a reader navigates: the README, every page under docs/, the generated policy table.
PAGES = sorted([REPO_ROOT / "README.md", REPO_ROOT / "policies" / "README.md", *(REPO_ROOT / "docs").glob("*.md")])
#: Citations of documents outside the repository (the design notes the project started from).
FOREIGN_CITATION = re.compile(r"CONTROLS\.md|CONTROLS#|CONTROLS rows?\b|ARCHITECTURE\.md|\.\./shared\b")
#: Top-level folders and files whose paths, named in code spans, must exist.
REPO_PATH = re.compile(
    r"(?:components|functions|offline|policies|tests|scripts|benchmarks|api|docs|\.github|\.ci)/[\w./*-]*"
    r"|(?:__main__\.py|Makefile|Pulumi(?:\.dev|\.prod)?\.yaml|pyproject\.toml|requirements(?:-dev)?\.txt)"
)

FENCE = re.compile(r"^(```|~~~)")
INLINE_CODE = re.compile(r"`+[^`]*`+")
LINK = re.compile(r"\[(?:[^\]\\]|\\.)*\]\(([^()\s]+)(?:\s+\"[^\"]*\")?\)")
EXPLICIT_ANCHOR = re.compile(r"<a\s+(?:id|name)=\"([^\"]+)\"")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def prose_lines(text: str) -> Iterator[tuple[int, str]]:
    """(line number, line) outside fenced code blocks."""
    fenced = False
    for number, line in enumerate(text.splitlines(), start=1):
        if FENCE.match(line.lstrip()):
            fenced = not fenced
            continue
        if not fenced:
            yield number, line


def slug(heading: str) -> str:
    """GitHub's heading anchor: markup dropped, lower case, punctuation removed, spaces to hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link keeps its text
    text = re.sub(r"<[^>]+>", "", text).replace("`", "").strip().lower()
    kept = "".join(c for c in text if c in " -_" or unicodedata.category(c)[0] in "LN")
    return kept.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    found: set[str] = set()
    seen: dict[str, int] = {}
    for _, line in prose_lines(page.read_text(encoding="utf-8")):
        found.update(EXPLICIT_ANCHOR.findall(line))
        match = HEADING.match(line)
        if match:
            base = slug(match.group(2))
            count = seen.get(base, 0)
            seen[base] = count + 1
            found.add(base if count == 0 else f"{base}-{count}")
    return found


def shown(page: Path) -> str:
    return str(page.relative_to(REPO_ROOT)) if page.is_relative_to(REPO_ROOT) else str(page)


def broken_links(page: Path) -> list[str]:
    """Every relative link of ``page`` whose file, folder or anchor does not exist."""
    problems: list[str] = []
    for number, line in prose_lines(page.read_text(encoding="utf-8")):
        for target in LINK.findall(INLINE_CODE.sub("", line)):
            if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto: ...
                continue
            path_part, _, anchor = target.partition("#")
            resolved = (page.parent / path_part).resolve() if path_part else page
            where = f"{shown(page)}:{number}: {target}"
            if not resolved.exists():
                problems.append(f"{where} (no such file)")
            elif anchor and (resolved.suffix != ".md" or anchor not in anchors(resolved)):
                problems.append(f"{where} (no anchor '{anchor}')")
    return problems


def missing_paths(page: Path) -> list[str]:
    """Repository paths named in code spans (`components/x.py`, `tests/functions/test_*.py`) that do not exist."""
    problems: list[str] = []
    for number, line in prose_lines(page.read_text(encoding="utf-8")):
        for span in INLINE_CODE.findall(line):
            name = span.strip("`").strip()
            if re.search(r"[<>{}$…\s]", name) or not REPO_PATH.fullmatch(name):
                continue  # a placeholder (`functions/<name>/`), a command, or not a path
            if not glob.glob(str(REPO_ROOT / name.rstrip("/"))):
                problems.append(f"{shown(page)}:{number}: `{name}`")
    return problems


def repository_files() -> list[Path]:
    """Tracked files plus new ones not ignored (so an uncommitted file is checked too)."""
    git = shutil.which("git")
    assert git, "the citation check lists the repository's files with git"
    listed = subprocess.run(  # noqa: S603 - fixed arguments, no shell
        [git, "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=REPO_ROOT,
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    return [REPO_ROOT / name for name in sorted(set(listed.split("\0"))) if name and (REPO_ROOT / name).is_file()]


def test_config_table_is_current() -> None:
    doc = CONFIG_DOC.read_text(encoding="utf-8")
    match = re.search(r"<!-- config-table:start -->\n(.*?)\n<!-- config-table:end -->", doc, re.S)
    assert match, "docs/configuration.md lost its config table markers"
    assert match.group(1) == table(), "regenerate with: python -m offline.config_docs"


def test_every_config_key_has_a_description() -> None:
    keys = {key for key, _, _ in rows()}
    assert keys == set(DESCRIPTIONS), "describe new keys and drop removed ones"


def test_readme_names_the_setup_commands_ci_runs() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    ci = (REPO_ROOT / ".ci" / "run").read_text()
    for command in ("make install", "make test"):
        assert command in readme and command in ci


def test_readme_has_a_contents_list_of_its_sections() -> None:
    # A newcomer finds a section from the top: each of the README's sections is listed there.
    readme = REPO_ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    sections = [slug(m.group(2)) for _, line in prose_lines(text) if (m := HEADING.match(line)) and m.group(1) == "##"]
    contents = text.split("\n## ", 2)[1]
    assert contents.startswith("Contents"), "the README's first section is its contents list"
    assert [s for s in sections if s != "contents"] == re.findall(r"\]\(#([^)]+)\)", contents)


def test_every_docs_page_is_in_the_index() -> None:
    # A page nobody links to is never read: docs/README.md lists every page of docs/.
    index = (REPO_ROOT / "docs" / "README.md").read_text(encoding="utf-8")
    linked = {target.partition("#")[0] for target in LINK.findall(index)}
    pages = {page.name for page in (REPO_ROOT / "docs").glob("*.md")} - {"README.md"}
    assert pages - linked == set()


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_every_relative_link_and_anchor_resolves(page: Path) -> None:
    assert broken_links(page) == []


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_every_repository_path_named_in_the_docs_exists(page: Path) -> None:
    assert missing_paths(page) == []


def test_nothing_cites_documents_outside_the_repository() -> None:
    this_file = Path(__file__).resolve()
    cited = [
        f"{path.relative_to(REPO_ROOT)}:{number}: {line.strip()}"
        for path in repository_files()
        if path.resolve() != this_file
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), start=1)
        if FOREIGN_CITATION.search(line)
    ]
    assert cited == [], "cite docs/controls.md#c-<row> or docs/architecture.md#<section> instead"


def test_every_control_row_is_implemented_or_explained() -> None:
    # docs/controls.md is what the packs enforce: each row is implemented by a policy, or
    # policies/README.md says under "Not covered, and why" why no policy can implement it.
    rows = {int(n) for n in re.findall(r'<a id="c-(\d+)">', (REPO_ROOT / "docs" / "controls.md").read_text())}
    policy_readme = (REPO_ROOT / "policies" / "README.md").read_text(encoding="utf-8")
    not_covered = policy_readme.split("## Not covered, and why", 1)[1].split("\n## ", 1)[0]
    explained = {int(n) for n in re.findall(r"controls\.md#c-(\d+)\)", not_covered)}
    implemented = {row for rule in all_rules() for row in rule.rows}
    assert rows == set(range(1, len(rows) + 1)), "rows are numbered 1..n, each with its anchor"
    assert implemented <= rows, "a policy cites a row docs/controls.md does not have"
    assert rows - implemented <= explained, "say in policies/docs.py why no policy implements these rows"


def test_the_checks_catch_what_they_are_for(tmp_path: Path) -> None:
    # The checks above pass on the real docs; they must also fail on a broken page.
    (tmp_path / "target.md").write_text('# Title\n\n<a id="row-1"></a>row\n\n## Same\n\n## Same\n')
    page = tmp_path / "page.md"
    page.write_text(
        "[ok](target.md#title) [ok](target.md#row-1) [ok](target.md#same-1) [ok](#own) [web](https://example.com)\n"
        "## Own\n"
        "[gone](missing.md) [no anchor](target.md#nope) [no second](target.md#same-2) `[in code](missing.md)`\n"
        "```\n[fenced](missing.md)\n```\n"
    )
    problems = broken_links(page)
    assert len(problems) == 3, problems
    assert "missing.md (no such file)" in problems[0] and "'nope'" in problems[1] and "'same-2'" in problems[2]
    (tmp_path / "paths.md").write_text(
        "`tests/test_docs.py` `components/*.py` `functions/<name>/`\n"
        "`components/edge_firewall.py` `tests/functions/test_nothing_*.py`\n"
    )
    assert [p.rsplit(" ", 1)[1] for p in missing_paths(tmp_path / "paths.md")] == [
        "`components/edge_firewall.py`",
        "`tests/functions/test_nothing_*.py`",
    ]
    assert slug("Preview a stack offline: `make plan`") == "preview-a-stack-offline-make-plan"
    assert FOREIGN_CITATION.search("see CONTROLS.md row 4") and FOREIGN_CITATION.search("CONTROLS#131")
    assert FOREIGN_CITATION.search("ARCHITECTURE.md section 1") and FOREIGN_CITATION.search("../shared/x")
    assert not FOREIGN_CITATION.search("BIDI_CONTROLS = ...; ARCHITECTURE = 'arm64'")
