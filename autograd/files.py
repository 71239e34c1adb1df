"""Writing a file all or nothing, so a crash or a full disk never leaves half a picture or model."""

from __future__ import annotations

import os
import re
import stat
import tempfile
from pathlib import Path

from .value import Message, shown

TEMPORARY_SUFFIX = ".tmp"  # a temporary is `.NAME.PID.RANDOM.tmp` beside the file it will replace
_TEMPORARY_TAIL = re.compile(r"(\d+)\.[a-z0-9_]{8}\.tmp")  # after `.NAME.`: PID.RANDOM.tmp, as mkstemp makes them


def check_writable(path: str | os.PathLike[str]) -> Path:
    """`path` as a Path, if it names a file that can be created in a folder that exists.

    Checked before any work or temporary file, so the error names the user's path (not a
    temporary beside it) and nothing is left behind.  Only a regular file is replaced: a
    symlink, a device (`/dev/null`) or a FIFO is refused, not turned into a file.
    """
    path = Path(path)
    longest = _name_max(path.parent)
    if len(os.fsencode(path.name)) > longest:
        raise OSError(Message("cannot write {path}: the file name is {length} bytes long; this file system allows "
                                 "at most {longest}", path=shown(str(path)), length=len(os.fsencode(path.name)),
                              longest=longest))
    if path.is_dir():
        raise IsADirectoryError(Message("cannot write {path!r}: it is a folder; give a file name in it", path=str(path)))
    folder = path.parent
    if not folder.is_dir():
        if folder.exists():
            raise FileNotFoundError(Message("cannot write {path!r}: the folder {folder!r} is not a folder",
                                            path=str(path), folder=str(folder)))
        raise FileNotFoundError(Message("cannot write {path!r}: the folder {folder!r} does not exist",
                                        path=str(path), folder=str(folder)))
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        mode = stat.S_IFREG
    if not stat.S_ISREG(mode):
        what = Message("a symbolic link") if stat.S_ISLNK(mode) else Message("a FIFO") if stat.S_ISFIFO(mode) else Message(
            "a device or special file")
        raise FileExistsError(Message("cannot write {path!r}: it is {what}; only a regular file is replaced",
                                      path=str(path), what=Message(what)))
    return path


def write_atomically(path: str | os.PathLike[str], data: bytes | str) -> Path:
    """Write `data` to a temporary file beside `path`, then rename it over `path`.

    A reader sees the old file or the whole new one, never a part.  The new file keeps the
    permissions of the one it replaces (rw-r--r-- for a new file, not mkstemp's private 0600).
    The temporary's name holds the writer's process id, so temporaries left by a writer that
    was killed (`kill -9` cannot be cleaned up after) are removed by the next write.
    """
    path = check_writable(path)
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = 0o644
    prefix = _temporary_prefix(path)
    remove_stale_temporaries(path)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f"{prefix}{os.getpid()}.", suffix=TEMPORARY_SUFFIX)
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


def remove_stale_temporaries(path: str | os.PathLike[str]) -> list[Path]:
    """Delete the temporaries beside `path` whose writing process no longer runs; return them."""
    path = Path(path)
    prefix = _temporary_prefix(path)
    removed = []
    for entry in os.scandir(path.parent):
        tail = _TEMPORARY_TAIL.fullmatch(entry.name[len(prefix):]) if entry.name.startswith(prefix) else None
        if tail and not _running(int(tail.group(1))) and entry.is_file(follow_symlinks=False):
            try:
                os.unlink(entry.path)
            except FileNotFoundError:  # another writer removed it first
                continue
            removed.append(Path(entry.path))
    return removed


def _temporary_prefix(path: Path) -> str:
    """`.NAME.`, with NAME cut so that the temporary's name fits where `path`'s does."""
    name, room = path.name, _name_max(path.parent) - 40  # 40 bytes for the dots and PID.RANDOM.tmp
    while len(os.fsencode(name)) > room:
        name = name[:-1]
    return f".{name}."


def _name_max(folder: Path) -> int:
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError):
        return 255


def _running(pid: int) -> bool:
    if pid == os.getpid() or os.name != "posix":  # elsewhere os.kill(pid, 0) would end the process
        return True
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):  # none runs (or none can: the number is too big)
        return False
    except PermissionError:  # another user's process
        return True
    return True
