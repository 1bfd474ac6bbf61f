"""Atomic file writes for the I/O edges: a temp file beside the target, then ``os.replace``."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

__all__ = ["atomic_write"]


def atomic_write(target: Path, write: Callable[[Path], None], *, overwrite: bool = True) -> None:
    """Write via ``write(tmp)`` to a temp file beside ``target``, then move it into place.

    The temp file is removed whatever happens, so the target is either untouched or complete.
    With ``overwrite=False`` an existing target raises :class:`FileExistsError` (checked before
    writing and again before the move, in case a parallel run wrote it meanwhile).
    """
    target = Path(target)
    if target.exists() and not overwrite:
        raise FileExistsError(17, "File exists", str(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".~{target.stem}-", suffix=".tmp")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        if target.exists() and not overwrite:
            raise FileExistsError(17, "File exists", str(target))
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
