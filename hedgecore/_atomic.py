"""Atomic, exclusive file writes for the edges: a temp file beside the target, then a move.

Temp files are named ``.~hedgecore-<pid>-<random>.tmp``: one left behind by a process killed
with ``kill -9`` is recognisable, and :func:`remove_stale_temp_files` removes those whose process
is gone. A report that must not replace an existing file is moved into place with a hard link,
which fails if the target exists (create-exclusive: no window between a check and the move).
Files get the mode ``0o666`` less the umask, as ``open()`` would give them.
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

__all__ = ["TEMP_PREFIX", "atomic_write", "move_into_place", "remove_stale_temp_files", "remove_own_temp_files",
           "pid_alive", "create_exclusive", "temp_path"]

TEMP_PREFIX = ".~hedgecore-"
_TEMP_SUFFIX = ".tmp"
#: link() errors of file systems without hard links: fall back to reserving the name first.
_NO_LINKS = {errno.EPERM, errno.EXDEV, errno.ENOSYS, errno.EMLINK, errno.EOPNOTSUPP, errno.ENOTSUP}


def _file_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


#: Temp files this process has open, for :func:`remove_own_temp_files` in a signal handler.
_OWN: set[str] = set()


def temp_path(folder: Path) -> Path:
    """A new empty temp file in ``folder`` (recognisable by name and pid); release it with :func:`discard`."""
    fd, name = tempfile.mkstemp(dir=folder, prefix=f"{TEMP_PREFIX}{os.getpid()}-", suffix=_TEMP_SUFFIX)
    os.close(fd)
    _OWN.add(name)
    return Path(name)


def discard(tmp: Path) -> None:
    """Remove a temp file of :func:`temp_path` (if still there) and forget it."""
    Path(tmp).unlink(missing_ok=True)
    _OWN.discard(str(tmp))


def remove_own_temp_files() -> None:
    """Remove every temp file this process still has: for a signal handler about to ``os._exit``."""
    for name in list(_OWN):
        try:
            os.unlink(name)
        except OSError:
            pass


def create_exclusive(path: Path, data: bytes = b"") -> None:
    """Create ``path`` with ``data``; :class:`FileExistsError` if it exists (O_CREAT | O_EXCL)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _file_mode())
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def move_into_place(tmp: Path, target: Path, *, overwrite: bool) -> None:
    """Move a finished temp file to ``target``; without ``overwrite``, never replace an existing file."""
    os.chmod(tmp, _file_mode())
    if overwrite:
        os.replace(tmp, target)
        return
    try:
        os.link(tmp, target)  # atomic and exclusive: FileExistsError if target exists
    except FileExistsError:
        raise FileExistsError(errno.EEXIST, "File exists", str(target)) from None
    except OSError as exc:
        if exc.errno not in _NO_LINKS:
            raise
        create_exclusive(target)  # no hard links here: reserve the name, then fill it atomically
        os.replace(tmp, target)
    else:
        tmp.unlink()  # the link is in place; the temp name goes


def atomic_write(target: Path, write: Callable[[Path], None], *, overwrite: bool = True) -> None:
    """Write via ``write(tmp)`` to a temp file beside ``target``, then move it into place.

    The temp file is removed whatever happens (an exception, Ctrl-C, SIGTERM turned into an
    exception), so the target is either untouched or complete. With ``overwrite=False`` an
    existing target raises :class:`FileExistsError`, checked before writing (to save the work)
    and enforced by the exclusive move (two processes never both win).
    """
    target = Path(target)
    if not overwrite and target.exists():
        raise FileExistsError(errno.EEXIST, "File exists", str(target))
    parent = target.parent
    if parent.exists() and not parent.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "Not a directory", str(parent))
    parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path(parent)
    try:
        write(tmp)
        move_into_place(tmp, target, overwrite=overwrite)
    finally:
        discard(tmp)


def pid_alive(pid: int) -> bool:
    """Whether a process ``pid`` runs on this machine (POSIX; always True elsewhere).

    A zombie (dead, not yet reaped by its parent) is not alive.
    """
    if os.name != "posix":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):  # no /proc (macOS): kill(pid, 0) is the answer
        return True


def remove_stale_temp_files(folder: Path) -> int:
    """Remove hedgecore temp files in ``folder`` whose process is gone (left by a kill -9); count them."""
    removed = 0
    for path in Path(folder).glob(f"{TEMP_PREFIX}*{_TEMP_SUFFIX}"):
        pid = path.name[len(TEMP_PREFIX):].split("-", 1)[0]
        if pid.isdigit() and not pid_alive(int(pid)):
            try:
                path.unlink()
                removed += 1
            except OSError:
                pass
    return removed
