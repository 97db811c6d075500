"""Files the finance commands write: whole, or not at all."""

import os
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path

from django.core.management.base import CommandError


@contextmanager
def replaced_when_complete(path: Path):
    """A binary file that becomes `path` only once the block succeeds. A
    device or pipe (/dev/null, a FIFO) is written to directly: there is no
    file to replace."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise CommandError(f"Cannot write {path}: {exc.strerror}.") from exc
    if mode is not None and stat.S_ISDIR(mode):
        raise CommandError(f"Cannot write {path}: it is a directory.")
    if mode is not None and not stat.S_ISREG(mode):
        try:
            with path.open("wb") as device:
                yield device
        except OSError as exc:
            raise CommandError(f"Cannot write {path}: {exc.strerror}.") from exc
        return
    try:
        # Beside the target, so the rename stays on one filesystem. Its
        # 0600 mode is kept: the export holds donors' personal data.
        part = tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", suffix=".part", delete=False)  # noqa: SIM115 (renamed into place when complete)
    except OSError as exc:
        raise CommandError(f"Cannot write {path}: {exc.strerror}.") from exc
    try:
        with part:
            yield part
        os.replace(part.name, path)
    except BaseException as exc:
        os.unlink(part.name)
        if isinstance(exc, OSError):  # the disk filled up, say
            raise CommandError(f"Cannot write {path}: {exc.strerror}.") from exc
        raise
