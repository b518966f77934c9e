"""The SDK installs as its README says: a wheel and an sdist that build and pass ``twine check``."""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

SDK = Path(__file__).resolve().parents[1]


def test_wheel_and_sdist_build_and_pass_twine_check(tmp_path: Path) -> None:
    # --no-isolation: the build backend (setuptools) of this environment, no download.
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(tmp_path), str(SDK)],
        check=True,
        capture_output=True,
        text=True,
    )
    from partnerkreis import __version__

    wheel = tmp_path / f"partnerkreis-{__version__}-py3-none-any.whl"
    sdist = tmp_path / f"partnerkreis-{__version__}.tar.gz"
    assert wheel.exists() and sdist.exists(), sorted(p.name for p in tmp_path.iterdir())
    done = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", str(wheel), str(sdist)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr

    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "partnerkreis/py.typed",
        "partnerkreis/_verify.py",
        "partnerkreis/integrations/jinja.py",
        "partnerkreis/integrations/django/apps.py",
        "partnerkreis/integrations/django/templatetags/partnerkreis.py",
    ):
        assert needed in names
    assert not [n for n in names if n.startswith("tests/")]
    metadata = zipfile.ZipFile(wheel).read(f"partnerkreis-{__version__}.dist-info/METADATA")
    assert b"Requires-Dist: httpx>=0.27" in metadata
    assert b"pip install" in metadata  # the README, with how to install, is the description
    with tarfile.open(sdist) as archive:
        assert f"partnerkreis-{__version__}/README.md" in archive.getnames()
