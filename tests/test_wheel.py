"""The installable package: `python -m build` makes a wheel that carries everything the product
reads at run time, and the wheel, installed into a fresh virtual environment, migrates a database
and serves.

Offline by design (CI machines and developers' laptops may have no index): the wheel is built
without build isolation (build and setuptools are in the test extra) and installed without its
dependencies; the fresh environment finds those in this environment's site-packages through a .pth
file placed after its own, so `entryphone` itself can only come from the wheel."""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import httpx
import pytest

from tests.support.paths import REPOSITORY
from tests.support.serving import served_url

pytestmark = pytest.mark.slow
PACKAGE = REPOSITORY / "src" / "entryphone"


def runtime_files() -> set[str]:
    """Every file of the package that is not Python bytecode: what the wheel must carry."""
    found = set()
    for path in PACKAGE.rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            found.add(path.relative_to(PACKAGE.parent).as_posix())
    return found


def test_the_wheel_installs_migrates_and_serves(tmp_path: Path) -> None:
    # Build from a copy: an in-tree build would leave build/ and *.egg-info in the repository.
    project = tmp_path / "project"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    shutil.copytree(REPOSITORY / "src", project / "src", ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPOSITORY / name, project / name)
    dist = tmp_path / "dist"
    built = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), str(project)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = dist.glob("entryphone-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        carried = set(archive.namelist())
    missing = runtime_files() - carried
    assert not missing, f"not in the wheel (add a glob to package-data in pyproject.toml): {sorted(missing)}"

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
         "--no-cache-dir", str(wheel)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stdout + installed.stderr
    venv_site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    (Path(venv_site) / "zz_dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")

    work = tmp_path / "work"  # not the repository: nothing of src/ may be importable from here
    work.mkdir()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("ENTRYPHONE_", "PYTHON"))}
    env |= {
        "ENTRYPHONE_DATA_DIR": str(work / "var"),
        "ENTRYPHONE_SUPERVISOR_ENABLED": "false",
    }
    where = subprocess.run(
        [str(python), "-c", "import entryphone; print(entryphone.__file__)"],
        capture_output=True, text=True, cwd=work, env=env, check=True,
    ).stdout  # fmt: skip
    assert where.startswith(venv_site), where
    entryphone = venv / "bin" / "entryphone"

    upgraded = subprocess.run(
        [str(entryphone), "db", "upgrade"], capture_output=True, text=True, cwd=work, env=env, timeout=120
    )
    assert upgraded.returncode == 0 and "Database at revision head" in upgraded.stdout, upgraded.stderr

    log = work / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [str(entryphone), "serve", "--port", "0"], cwd=work, env=env, stdout=out, stderr=out
        )
    try:
        url = served_url(server, log)
        health = httpx.get(f"{url}/healthz")
        assert health.status_code == 200 and health.json() == {"status": "ok"}
        ready = httpx.get(f"{url}/readyz")
        assert ready.status_code == 200 and ready.json()["database"] == "ok"
        # Static assets come from the installed package.
        assert httpx.get(f"{url}/docs-assets/swagger-ui-bundle.js").status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert "Traceback" not in log.read_text()
