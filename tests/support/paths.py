"""Where the project's shared reference material is: `shared/` beside the repository (as on every
developer's machine and in CI)."""

from __future__ import annotations

from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]
SHARED = REPOSITORY.parent / "shared"
SPEC = SHARED / "spec"
