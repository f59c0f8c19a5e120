"""The viewer's templates and static files ship in the wheel: it works offline,
installed anywhere."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_wheel_holds_every_template_and_static_file(tmp_path: Path) -> None:
    subprocess.run(
        [
            *(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps"),
            *("--no-build-isolation", "--wheel-dir", str(tmp_path), str(ROOT)),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    ui = ROOT / "server" / "ui"
    assets = [
        path.relative_to(ROOT).as_posix()
        for folder in ("templates", "static")
        for path in (ui / folder).iterdir()
    ]
    assert len(assets) >= 9
    assert [asset for asset in assets if asset not in names] == []
