"""The README's pip quickstart, run as printed, from the built wheel in a venv outside the checkout.

Usage: python3 .ci/pip_quickstart.py VENV   (VENV: an existing venv, e.g. the minimum-versions one)

Builds the wheel, checks what it must carry (LICENSE, py.typed, templates, the bundled examples),
installs it into VENV, then runs each `$ ` line of README.md's "Install with pip" block in an empty
temporary folder, with VENV's bin first on PATH; `pip install symnn` installs the built wheel.
"""

import os
import re
import shlex
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def quickstart_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## Install with pip\n\n```sh\n(.*?)```", text, re.S)
    if block is None:
        sys.exit("README.md: no ```sh block under '## Install with pip'")
    return [line[2:] for line in block.group(1).splitlines() if line.startswith("$ ")]


def build_wheel(out: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out), str(ROOT)],
        check=True,
    )
    (wheel,) = out.glob("symnn-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for required in (
        "symnn/py.typed",
        "symnn/bundled_examples/two_two_two.toml",
        "symnn/templates/",
        ".dist-info/licenses/LICENSE",
    ):
        if not any(required in name for name in names):
            sys.exit(f"{wheel.name}: missing {required}")
    return wheel


def main() -> None:
    venv = Path(sys.argv[1]).resolve()
    with tempfile.TemporaryDirectory() as temporary:
        wheel = build_wheel(Path(temporary) / "dist")
        work = Path(temporary) / "user"
        work.mkdir()
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        for command in quickstart_commands():
            args = shlex.split(command)
            if args[-3:] == ["pip", "install", "symnn"]:
                args = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)]
            print(f"$ {command}", flush=True)
            result = subprocess.run(args, cwd=work, env=env, capture_output=True, text=True)
            print(result.stdout[-2000:], end="")
            if result.returncode != 0:
                sys.exit(f"README pip quickstart failed: {command}\n{result.stderr}")
    print("README pip quickstart: every command ran from the wheel")


if __name__ == "__main__":
    main()
