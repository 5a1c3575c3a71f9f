"""Install size: what a clean `pip install -r requirements.txt` puts on disk (a Heroku slug's bulk).

    .venv/bin/python benchmarks/install_size.py [--top 12]

Makes a throw-away venv with the Python running this script, installs requirements.txt alone
(as Heroku's buildpack does; it needs the package index), and prints `du` of its site-packages
without pip (the venv's own tool: it is there before the bot's first requirement), then the
largest packages.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MB = 1024**2  # as `du -m` counts


def disk_usage(path: Path) -> int:
    """Bytes on disk, as `du -s` counts them (allocated blocks, each file once)."""
    return sum(f.lstat().st_blocks * 512 for f in [path, *path.rglob("*")])


def owner(entry: Path) -> str:
    """The package an entry of site-packages belongs to (`pip-24.dist-info` → `pip`)."""
    return entry.name.split("-")[0] if entry.suffix == ".dist-info" else entry.stem


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--top", type=int, default=12, help="how many of the largest to list")
    top = parser.parse_args().top
    with tempfile.TemporaryDirectory() as tmp:
        venv = Path(tmp) / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q"]
        subprocess.run([*pip, "-U", "pip"], check=True)
        subprocess.run([*pip, "-r", str(ROOT / "requirements.txt")], check=True)
        (site,) = (venv / "lib").glob("python3*/site-packages")
        sizes: dict[str, int] = {}
        for entry in site.iterdir():
            size = disk_usage(entry)
            sizes[owner(entry).lower()] = sizes.get(owner(entry).lower(), 0) + size
        pip_size = sizes.pop("pip", 0)
        total = sum(sizes.values())
        print(f"site-packages without pip: {total / MB:.0f} MB (pip: {pip_size / MB:.0f} MB)")
        for name, size in sorted(sizes.items(), key=lambda kv: -kv[1])[:top]:
            print(f"  {size / MB:6.1f} MB  {name}")


if __name__ == "__main__":
    main()
