"""Nothing on disk is damaged: atomic writes clean up, stale temporaries go, a killed writer never
leaves a truncated file, the gallery resumes after an interruption, and symlinks are written
through."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest

from symnn.core import files
from symnn.gallery import write as gallery
from tests.cli_harness import run_cli, temporary_files

ROOT = Path(__file__).resolve().parent.parent
DEAD_PID = 99_999_999  # above any pid_max: no such process


def test_temporary_file_removed_when_the_write_itself_fails(tmp_path, monkeypatch):
    target = tmp_path / "out.txt"
    target.write_text("old")

    class Interrupted(BaseException):
        pass

    def fsync(fd):
        raise Interrupted  # like Ctrl-C in the middle of the write

    monkeypatch.setattr(files.os, "fsync", fsync)
    with pytest.raises(Interrupted):
        files.write_text(target, "new" * 1000)
    assert target.read_text() == "old" and temporary_files(tmp_path) == []


def test_stale_temporaries_are_removed_by_the_next_write(tmp_path):
    target = tmp_path / "notes.tex"
    target.write_text("old")
    dead = tmp_path / f".notes.tex.{DEAD_PID}-abcd1234.tmp"  # its process was killed
    old_style = tmp_path / ".notes.tex.k2j3h4g5.tmp"  # no process id: stale once old
    young = tmp_path / ".notes.tex.zzzz9999.tmp"
    live = tmp_path / f".notes.tex.{os.getppid()}-live0000.tmp"  # a write in progress
    other = tmp_path / f".other.tex.{DEAD_PID}-abcd1234.tmp"  # another target's
    for path in (dead, old_style, young, live, other):
        path.write_text("half")
    hour_ago = time.time() - 3600
    os.utime(old_style, (hour_ago, hour_ago))
    files.write_text(target, "new")
    assert target.read_text() == "new"
    assert sorted(p.name for p in temporary_files(tmp_path)) == sorted(
        p.name for p in (young, live, other)
    )
    assert files.remove_stale_temporaries(tmp_path) == [other]


def test_a_stale_temporary_in_a_gallery_is_ignored_by_check_and_removed_by_write(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(gallery, "gallery_files", lambda: {"a.md": "A\n", "sub/b.tex": "B\n"})
    root = tmp_path / "gallery"
    gallery.write_gallery(root)
    assert gallery.check_gallery(root) == ""
    stale = root / "sub" / f".b.tex.{DEAD_PID}-abcd1234.tmp"
    stale.write_text("B, half writ")
    assert gallery.check_gallery(root) == ""  # ignored, and --check never writes
    assert stale.exists()
    assert gallery.write_gallery(root) == []
    assert not stale.exists()


def test_an_interrupted_first_gallery_run_resumes(tmp_path, monkeypatch):
    wanted = {f"n{i}.md": f"{i}\n" for i in range(6)}
    monkeypatch.setattr(gallery, "gallery_files", lambda: wanted)
    root = tmp_path / "fresh"
    real_write, written = gallery.write_bytes, []

    def killed_after_three(path, data):
        if len(written) == 3:
            raise KeyboardInterrupt
        real_write(path, data)
        written.append(path)

    monkeypatch.setattr(gallery, "write_bytes", killed_after_three)
    with pytest.raises(KeyboardInterrupt):
        gallery.write_gallery(root)
    monkeypatch.setattr(gallery, "write_bytes", real_write)
    assert (root / gallery.MANIFEST).exists()  # written first: the folder is known as ours
    assert gallery.check_gallery(root) != ""
    gallery.write_gallery(root)  # resumes instead of refusing the folder
    assert gallery.check_gallery(root) == ""
    assert sorted(p.name for p in root.iterdir()) == sorted([*wanted, gallery.MANIFEST])


def test_gallery_still_refuses_a_folder_that_is_not_its_own(tmp_path):
    (tmp_path / "mine.txt").write_text("notes")
    with pytest.raises(Exception, match="not a symnn gallery"):
        gallery.write_gallery(tmp_path)
    assert (tmp_path / "mine.txt").read_text() == "notes"


def test_output_onto_a_symlink_writes_through_it(tmp_path):
    real = tmp_path / "real" / "notes.txt"
    real.parent.mkdir()
    real.write_text("old\n")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    outcome = run_cli(["calc", "gradient", "x**2", "-o", str(link)])
    assert outcome.code == 0, outcome.describe()
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert "gradient" in real.read_text()
    dangling = tmp_path / "dangling.txt"
    dangling.symlink_to(tmp_path / "real" / "new.txt")
    assert run_cli(["calc", "gradient", "x**2", "-o", str(dangling)]).code == 0
    assert dangling.is_symlink() and (tmp_path / "real" / "new.txt").read_text() == real.read_text()
    assert temporary_files(tmp_path) == []


def version(k: int, size: int) -> str:
    return f"version {k}\n" + "x" * size + f"\nend {k}\n"


def intact(text: str, size: int) -> bool:
    """The whole of one version: never a truncated or mixed file."""
    head = text.split("\n", 1)[0]
    return head.startswith("version ") and text == version(int(head.split()[1]), size)


def forked(body) -> int:
    """A child process (a fork: symnn already imported) running ``body``; returns its pid."""
    with warnings.catch_warnings():
        # Python warns when a process with threads forks (JAX, once another test imported it,
        # keeps a thread pool). The child only writes files through symnn.core.files and leaves
        # with os._exit, so no lock of those threads is ever waited on.
        warnings.filterwarnings("ignore", "os.fork", RuntimeWarning)
        pid = os.fork()
    if pid == 0:  # the child never returns into pytest
        try:
            body()
        finally:
            os._exit(0)
    return pid


def test_a_writer_killed_at_random_moments_never_damages_the_file(tmp_path):
    size = 3_000_000  # big enough that a kill often lands inside a write
    target = tmp_path / "out.txt"
    target.write_text(version(0, size))
    rng = random.Random(20)

    def write_forever():
        k = 0
        while True:
            k += 1
            files.write_text(target, version(k, size))

    for _ in range(25):
        pid = forked(write_forever)
        time.sleep(rng.uniform(0.0, 0.3))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        assert intact(target.read_text(), size)
    files.write_text(target, version(1, size))  # the next run removes what the kills left
    assert temporary_files(tmp_path) == []


def test_sigterm_unwinds_the_command_line_and_removes_its_temporary_file(tmp_path):
    from symnn.cli.main import _terminate_cleanly

    target = tmp_path / "out.txt"
    ready = tmp_path / "ready"

    def write_until_terminated():
        with _terminate_cleanly():
            try:
                ready.touch()
                while True:
                    files.write_text(target, "y" * 3_000_000)
            except KeyboardInterrupt:
                os._exit(130)

    pid = forked(write_until_terminated)
    while not ready.exists():
        time.sleep(0.01)
    time.sleep(0.2)
    os.kill(pid, signal.SIGTERM)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 130
    assert temporary_files(tmp_path) == [] and target.read_text() == "y" * 3_000_000


def test_the_real_command_killed_mid_run_leaves_its_output_intact(tmp_path):
    out = tmp_path / "gd.md"
    argv = [sys.executable, "-m", "symnn", "calc", "descent", "x**2 + y**2", "--from", "1,1"]
    argv += ["--steps", "50", "--format", "md", "-o", str(out)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run(argv, env=env, check=True, timeout=120)
    good = out.read_bytes()
    rng = random.Random(7)
    for _ in range(2):
        child = subprocess.Popen(argv, env=env)
        time.sleep(rng.uniform(0.5, 3.0))
        child.send_signal(signal.SIGKILL)
        child.wait()
        assert out.read_bytes() == good
