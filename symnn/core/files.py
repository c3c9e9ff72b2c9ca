"""Writing files atomically: a temporary file beside the target, then a rename.

- Readers (and a run killed at any moment) see the old file or the new one, never half of one.
- The temporary file is removed on every exit this process controls (an error, Ctrl-C, SIGTERM
  through the command line); one left by a killed process (SIGKILL, power loss) is named
  ``.NAME.PID-XXXXXXXX.tmp``, is ignored by ``symnn gallery --check`` and is removed by the next
  write beside it once its process is gone.
- A symbolic link is written through, as shell redirection and editors do: the file it points to
  gets the new contents and the link stays a link.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from pathlib import Path

from symnn.core.errors import SymnnError

STALE_AGE = 60.0  # seconds: a temporary file without a process id is stale after this
NAME_IN_TEMPORARY = 100  # characters of the target's name kept in its temporary file's name
_TEMPORARY = re.compile(r"\.(?P<name>.+)\.(?:(?P<pid>\d+)-)?[A-Za-z0-9_]+\.tmp")


def is_temporary(name: str) -> bool:
    """Whether a file name is an atomic write's temporary file (``.NAME.PID-XXXXXXXX.tmp``).

    Examples:
        >>> is_temporary(".notes.tex.4242-k2j3h4g5.tmp"), is_temporary("notes.tex")
        (True, False)
    """
    return _TEMPORARY.fullmatch(name) is not None


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except PermissionError:  # another user's process
        return True
    except (ProcessLookupError, OverflowError, ValueError):  # gone, or no process has that id
        return False
    return True


def _stale(path: Path) -> bool:
    match = _TEMPORARY.fullmatch(path.name)
    if match is None:
        return False
    if match.group("pid") is not None:
        return not _alive(int(match.group("pid")))
    try:
        return time.time() - path.lstat().st_mtime > STALE_AGE
    except OSError:
        return False


def remove_stale_temporaries(folder: str | Path, name: str | None = None) -> list[Path]:
    """Remove temporary files left in ``folder`` by killed writes (of ``name`` only, if given).

    A temporary file whose process is still running is left alone: it is a write in progress.
    """
    folder = Path(folder)
    pattern = f".{name[:NAME_IN_TEMPORARY]}.*.tmp" if name is not None else ".*.tmp"
    removed = []
    try:
        candidates = sorted(folder.glob(_escape(pattern)))
    except OSError:
        return removed
    for path in candidates:
        if path.is_file() and not path.is_symlink() and _stale(path):
            try:
                path.unlink()
            except OSError:
                continue  # not ours to remove (permissions): it stays ignored
            removed.append(path)
    return removed


def _escape(pattern: str) -> str:
    # glob.escape for the name only: the "*" we add must stay a wildcard.
    return "".join(f"[{c}]" if c in "[]?" else c for c in pattern)


def target(path: str | Path) -> Path:
    """The file a write to ``path`` changes: through a symbolic link, to the file it names."""
    path = Path(path)
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so readers see the old file or the new one, never half of one."""
    path = target(path)
    if path.is_dir():
        raise SymnnError(f"{path}: is a folder; expected a file name to write")
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path.parent, path.name)
    handle, temporary = tempfile.mkstemp(
        prefix=f".{path.name[:NAME_IN_TEMPORARY]}.{os.getpid()}-", suffix=".tmp", dir=path.parent
    )
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())  # the bytes reach the disk before the name does
        # mkstemp makes the file private (0600); give it the mode a plain open() would have.
        os.chmod(temporary, path.stat().st_mode & 0o7777 if path.exists() else _default_mode())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_text(path: str | Path, text: str) -> None:
    """Write UTF-8 text atomically, with Unix line endings on every platform."""
    write_bytes(path, text.encode("utf-8"))
