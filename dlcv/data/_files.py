r"""Files read from disk, for the shard and image-folder readers.

Only regular files are opened. A named pipe blocks its reader until something writes to
it, for ever in a data folder, and a device such as /dev/zero never ends; both can hide
behind an ordinary name or a symbolic link, so the test is on what a name resolves to,
and again on what was opened, in case the name changed hands in between.

This module is private: its names are not re-exported by `dlcv` or `dlcv.data`.

Examples:
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> (folder / "a.bin").write_bytes(b"abc")
    3
    >>> read_regular(folder / "a.bin", max_bytes=10)
    b'abc'
    >>> try:
    ...     read_regular(folder, max_bytes=10)
    ... except Unusable as error:
    ...     print(error)
    not a regular file: it is a folder, which is not read
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

__all__ = ["Unusable", "check_regular", "display_name", "open_regular", "read_regular"]

# Opening a named pipe for reading waits for a writer unless non-blocking; the flag
# changes nothing for the regular files that get past the checks.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
_FILE_KINDS: tuple[tuple[Callable[[int], bool], str], ...] = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class Unusable(Exception):
    """A file that cannot be used; the message says why."""


def check_regular(info: os.stat_result, max_bytes: int | None) -> None:
    """Raise `Unusable`, saying why, unless `info` describes a regular file of at most
    `max_bytes` bytes (`None`: any size).
    """
    if not stat.S_ISREG(info.st_mode):
        kind = next(
            (kind for test, kind in _FILE_KINDS if test(info.st_mode)), "special"
        )
        raise Unusable(f"not a regular file: it is {kind}, which is not read")
    if max_bytes is not None and info.st_size > max_bytes:
        raise Unusable(
            f"too large: {info.st_size:,} bytes, more than the {max_bytes:,} bytes "
            "allowed a file (`max_file_bytes`)"
        )


def open_regular(path: Path, *, max_bytes: int | None = None) -> BinaryIO:
    """Open `path` for reading if it resolves to a regular
    file of at most `max_bytes` bytes.

    Raises `Unusable`, saying why, for anything else: a missing or unreadable file, a
    folder, a named pipe, a device, a socket, or a file over the size limit.
    """
    try:
        check_regular(os.stat(path), max_bytes)
        descriptor = os.open(path, _OPEN_FLAGS)
    except OSError as error:
        raise Unusable(f"unreadable: {error.strerror or error}") from None
    file = os.fdopen(descriptor, "rb")
    try:
        check_regular(os.fstat(descriptor), max_bytes)
    except BaseException:
        file.close()
        raise
    return file


def read_regular(path: Path, *, max_bytes: int) -> bytes:
    """The bytes of `path`, a regular file of at most
    `max_bytes` bytes, or `Unusable`.
    """
    with open_regular(path, max_bytes=max_bytes) as file:
        try:
            data = file.read(max_bytes + 1)  # one byte more tells a file that grew
        except OSError as error:
            raise Unusable(f"unreadable: {error.strerror or error}") from None
    if len(data) > max_bytes:
        raise Unusable(f"too large: more than the {max_bytes:,} bytes allowed a file")
    return data


def display_name(path: Path | str) -> str:
    """`path` as printable text: bytes that are not UTF-8 in a
    name show as `\\xff` escapes.
    """
    return (
        os.fspath(path)
        .encode("utf-8", "surrogateescape")
        .decode("utf-8", "backslashreplace")
    )
