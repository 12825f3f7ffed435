"""The documentation stands on its own: no page points outside the repository, every relative link
resolves, the README's commands write nothing into the repository, and the settings table of
docs/operations.md is the one the settings classes generate."""

from __future__ import annotations

import re
from pathlib import Path

from entryphone import settings_doc
from tests.support.paths import REPOSITORY

PAGES = [
    *sorted((REPOSITORY / "docs").rglob("*.md")),
    REPOSITORY / "README.md",
    REPOSITORY / "CONTRIBUTING.md",
]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def test_no_page_refers_to_files_outside_the_repository() -> None:
    offenders = []
    for page in PAGES:
        for number, line in enumerate(page.read_text().splitlines(), start=1):
            if re.search(r"\.\./shared|shared/(spec|reference)|DESIGN\.md", line):
                offenders.append(f"{page.relative_to(REPOSITORY)}:{number}: {line.strip()}")
    assert not offenders, "\n".join(offenders)


def test_relative_links_resolve_inside_the_repository() -> None:
    broken = []
    for page in PAGES:
        for target in LINK.findall(page.read_text()):
            if re.match(r"[a-z]+:", target):
                continue  # http(s), mailto
            resolved = (page.parent / target).resolve()
            if not resolved.is_relative_to(REPOSITORY) or not resolved.exists():
                broken.append(f"{page.relative_to(REPOSITORY)} -> {target}")
    assert not broken, "\n".join(broken)


def test_the_readme_commands_write_nothing_into_the_repository() -> None:
    readme = (REPOSITORY / "README.md").read_text()
    outputs = re.findall(r"(?:-o|--output)\s+(\S+)", readme)
    assert outputs and all(Path(path).is_absolute() for path in outputs), outputs
    assert ".venv/bin" in readme  # where `entryphone` is, for a shell without the venv on its PATH


def test_the_settings_table_is_generated_from_the_settings_classes() -> None:
    page = (REPOSITORY / "docs" / "operations.md").read_text()
    found = re.search(r"<!-- settings:begin[^>]*-->\n(.*?)<!-- settings:end -->", page, re.S)
    assert found, "docs/operations.md lost its settings markers"
    assert found.group(1) == settings_doc.markdown_table(), (
        "regenerate the table: entryphone settings --format markdown"
    )
