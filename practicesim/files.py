"""Writing files and folders atomically: a reader never sees a half-written result.

A folder is written into a staging folder beside the destination and then renamed into place
(a previous result there is replaced only once the new one is complete, and only if every file
in it is one that result writes). A single file is written to a temporary file beside it and
renamed onto it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path


class OutputFolderError(ValueError):
    """The output folder holds something other than a previous result."""


def check_output_folder(out: Path, result_files: frozenset[str]) -> None:
    """Only an empty folder or one holding a previous result (files named in
    ``result_files``) may be replaced."""
    if not out.exists():
        return
    if not out.is_dir():
        raise OutputFolderError(f"{out}: exists and is not a folder")
    foreign = sorted(p.name for p in out.iterdir() if p.name not in result_files)
    if foreign:
        raise OutputFolderError(
            f"{out}: holds files that are not a practicesim result ({', '.join(foreign[:3])}"
            f"{', ...' if len(foreign) > 3 else ''}); choose an empty or new folder")


def write_atomically(out: Path, fill: Callable[[Path], None],
                     result_files: frozenset[str]) -> Path:
    """Let ``fill`` write into a staging folder beside ``out``, then rename it into place
    (replacing a previous result there, one whose files are all named in ``result_files``,
    never anything else)."""
    check_output_folder(out, result_files)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    staging.chmod(0o755)
    try:
        fill(staging)
        _replace_dir(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary file beside ``path`` to write; renamed onto ``path`` when the block ends
    without an error, removed otherwise."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        tmp.chmod(0o644)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _replace_dir(new: Path, target: Path) -> None:
    if not target.exists():
        os.replace(new, target)
        return
    old = target.with_name(f".{target.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    os.replace(target, old)
    os.replace(new, target)
    shutil.rmtree(old, ignore_errors=True)
