"""What the Dockerfile does, checked without Docker: build the wheel, install it into a clean
venv, and run the bot's content check from the installed package as a user without a
writable home (the image runs as a non-root user with only /data writable)."""

from __future__ import annotations

import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # a wheel built and installed in a new venv

ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(ROOT)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    [built] = out.glob("nwfz_bot-*.whl")
    return built


def test_wheel_ships_code_and_content(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    for package in ("bot/__main__.py", "handlers/__init__.py", "storage/migrations.py"):
        assert package in names
    assert "content/data/ui/kk.toml" in names
    assert sum(name.startswith("content/data/topics/") for name in names) == 12
    assert not [name for name in names if name.startswith("tests/")]


def test_installed_wheel_runs_in_a_clean_venv(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "app"
    venv.create(target, with_pip=False, system_site_packages=False)
    # The wheel alone on top of this environment's dependencies: the image installs the
    # same wheel with its dependencies from PyPI.
    site = subprocess.run(
        [str(target / "bin" / "python"), "-c", "import site; print(site.getsitepackages()[0])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    find_deps = "import aiogram, os; print(os.path.dirname(os.path.dirname(aiogram.__file__)))"
    deps = subprocess.run(
        [sys.executable, "-c", find_deps], check=True, capture_output=True, text=True
    ).stdout.strip()
    (Path(site) / "deps.pth").write_text(deps + "\n")
    data = tmp_path / "data"
    data.mkdir()
    result = subprocess.run(
        [str(target / "bin" / "python"), "-m", "bot", "check-content"],
        cwd=data, capture_output=True, text=True, timeout=120, check=False,
        env={"PATH": "/usr/bin:/bin", "HOME": str(data)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "kk complete" in result.stdout
