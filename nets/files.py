"""Writing a file all or nothing, so a crash or a full disk never leaves half a picture or model."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def check_writable(path: str | os.PathLike[str]) -> Path:
    """`path` as a Path, if it names a file that can be created in a folder that exists.

    Checked before any work or temporary file, so the error names the user's path (not a
    temporary beside it) and nothing is left behind.
    """
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"cannot write {str(path)!r}: it is a folder; give a file name in it")
    folder = path.parent
    if not folder.is_dir():
        why = "is not a folder" if folder.exists() else "does not exist"
        raise FileNotFoundError(f"cannot write {str(path)!r}: the folder {str(folder)!r} {why}")
    return path


def write_atomically(path: str | os.PathLike[str], data: bytes | str) -> Path:
    """Write `data` to a temporary file beside `path`, then rename it over `path`.

    A reader sees the old file or the whole new one, never a part.  The new file keeps the
    permissions of the one it replaces (rw-r--r-- for a new file, not mkstemp's private 0600).
    """
    path = check_writable(path)
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = 0o644
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data.encode("utf-8") if isinstance(data, str) else data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
    return path
