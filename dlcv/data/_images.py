"""One file of an image folder: recognised and checked with Pillow, decoded with
TensorFlow.

The check reads the file's bytes once. Its first bytes, not its name, say which format
it claims to be; Pillow's reader for that format then parses it, which finds files that
are cut off or corrupted and reads what decides how TensorFlow must decode the file
(grayscale, alpha, 16 bits, frames). How deep the check goes depends on what Pillow
offers for the format:

- PNG: opening checks the CRCs of the chunks before the image data, and `verify()`
  those of the image data up to `IEND` (not `IEND`'s own), which finds a flipped byte
  as well as a missing end, without decompressing the pixels.
- GIF, BMP and WebP: Pillow's `verify()` checks nothing for these, so the image (for a
  GIF, its first frame, the one used) is decoded once with `load()`.
- JPEG: opening parses the segments up to the first scan; `_check_jpeg_end` says why
  the end of the file is then checked here rather than by `load()`.

The file is in memory, at most `max_file_bytes` long, and an image of more pixels than
Pillow's guard against decompression bombs allows (`PIL.Image.MAX_IMAGE_PIXELS`, read,
never changed) is refused before anything decodes it. No Pillow setting is changed:
where a program sets `PIL.ImageFile.LOAD_TRUNCATED_IMAGES` to `True`, Pillow's `load()`
accepts a GIF or BMP whose image data is cut off, and such a file is left to the
decode of the scan's `verify` pass.

This module is private: its names are not re-exported by `dlcv` or `dlcv.data`.

Examples:
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> Image.new("I;16", (4, 4)).save(folder / "deep.png")
    >>> decoder, notes = inspect_image_file(folder / "deep.png", max_bytes=1 << 20)
    >>> decoder == DECODE_16BIT, notes[1]
    (True, '16-bit: decoded with all 16 bits, 65535 being white')
    >>> png = (folder / "deep.png").read_bytes()
    >>> _ = (folder / "cut.png").write_bytes(png[: len(png) - 20])
    >>> try:
    ...     inspect_image_file(folder / "cut.png", max_bytes=1 << 20)
    ... except Unusable as error:
    ...     print(error)
    truncated: the file ends inside the PNG chunks
"""

from __future__ import annotations

import io
import os
import re
import struct
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

import numpy as np
import tensorflow as tf
from PIL import (
    BmpImagePlugin,
    GifImagePlugin,
    Image,
    ImageFile,
    JpegImagePlugin,
    PngImagePlugin,
    WebPImagePlugin,
    features,
)

from dlcv.data._files import Unusable, read_regular

__all__ = [
    "DECODE_8BIT",
    "DECODE_16BIT",
    "DECODE_DROP_ALPHA",
    "decode",
    "inspect_image_file",
    "undecodable",
]

# How a file is decoded, set by the check: TensorFlow 2.21 decodes 16-bit PNGs to 8 bits
# unless asked for uint16, and refuses `channels=3` for a WebP with an alpha channel.
DECODE_8BIT, DECODE_16BIT, DECODE_DROP_ALPHA = 0, 1, 2
_ALPHA_NOTE = (
    "alpha channel dropped (the colours stored under transparent pixels are kept, "
    "not blended with a background)"
)
_GRAY_NOTE = "grayscale: its one channel is copied to red, green and blue"

# The formats TensorFlow decodes, by their first bytes, and Pillow's reader for each.
# Calling the reader itself, rather than `Image.open`, keeps its own error message
# (`Image.open` only says it cannot identify the file) and leaves the pixel limit to
# `_check_pixels`, which refuses where `Image.open` would print a warning.
_SIGNATURES = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"BM", "BMP"),
)
_READERS: dict[str, Callable[[io.BytesIO], ImageFile.ImageFile]] = {
    "JPEG": JpegImagePlugin.JpegImageFile,
    "PNG": PngImagePlugin.PngImageFile,
    "GIF": GifImagePlugin.GifImageFile,
    "BMP": BmpImagePlugin.BmpImageFile,
    "WebP": WebPImagePlugin.WebPImageFile,
}


def _format(data: bytes) -> str | None:
    """The format `data` starts like, among those TensorFlow decodes, or `None`."""
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "WebP"
    return next((kind for start, kind in _SIGNATURES if data.startswith(start)), None)


def _not_an_image(data: bytes) -> NoReturn:
    if data.startswith((b"II*\x00", b"MM\x00*")):
        raise Unusable("TIFF image: a format TensorFlow does not decode")
    start = data[:16]
    if all(32 <= byte < 127 or byte in b"\t\n\r" for byte in start):
        raise Unusable(f"not an image: it starts with the text {start.decode()!r}")
    raise Unusable(
        f"not an image: its first bytes ({start[:8].hex(' ')}) match no image format"
    )


def _reason(error: Exception, kind: str, part: str, *, cut: bool) -> str:
    """Why Pillow refused a file, as a skip reason: `part` is what it was reading, and
    `cut` whether the data ran out under it.
    """
    message = str(error) or type(error).__name__
    # Pillow's readers turn a short read (EOFError, struct.error) into a SyntaxError.
    short = isinstance(error.__cause__ or error, EOFError | struct.error)
    if cut or short or "truncated" in message.lower():
        return f"truncated: the file ends inside the {kind} {part}"
    checksum = re.search(r"checksum in b'(.{4})'", message)
    if checksum:
        return f"corrupt: the {kind}'s {checksum.group(1)!r} chunk fails its CRC check"
    if message == "not identified by this driver":  # Pillow: no size or mode found
        return f"corrupt: the {kind} header describes no image (no size or colour mode)"
    return f"corrupt: Pillow cannot read the {kind} {part} ({message})"


def _check_pixels(image: ImageFile.ImageFile) -> None:
    width, height = image.size
    limit = Image.MAX_IMAGE_PIXELS
    if limit is not None and width * height > limit:
        raise Unusable(
            f"too large: {width:,} x {height:,} pixels, more than the {limit:,} Pillow "
            "allows an image (PIL.Image.MAX_IMAGE_PIXELS, its guard against "
            "decompression bombs)"
        )


def _check_jpeg_end(data: bytes, scan: int) -> None:
    """Raise `Unusable` unless an end-of-image marker follows the first scan.

    Pillow's JPEG reader has no `verify()`, and opening stops at the first scan. It
    notices a missing end only in a full `load()`, which decodes every pixel (about
    what TensorFlow's decode in the verify pass costs again) and which stops noticing
    once a program sets `PIL.ImageFile.LOAD_TRUNCATED_IMAGES`, as training scripts
    often do: Pillow then supplies the marker itself. Looking for it costs microseconds
    and holds whatever that setting: compressed data cannot hold `FF D9` (an `FF` there
    is followed by `00` or `D0`-`D7`), so a file without one after its first scan was
    cut off. Damage inside the compressed data is left to the verify pass.
    """
    if data.find(b"\xff\xd9", scan) < 0:
        raise Unusable(
            "truncated: the JPEG has no end-of-image marker (the file was cut off)"
        )


def _frames(image: ImageFile.ImageFile, data: bytes) -> int:
    """How many frames a GIF holds, or `Unusable`."""
    try:
        return int(getattr(image, "n_frames", 1))
    except Exception as error:  # any exception of Pillow's reader, as in `_open`
        # Frames are counted block by block: running out of data there means a cut.
        cut = image.fp is not None and image.fp.tell() >= len(data)
        raise Unusable(_reason(error, "GIF", "frames", cut=cut)) from None


def _conversions(
    kind: str, image: ImageFile.ImageFile, data: bytes, frames: int
) -> list[str]:
    """What happens to a sound file on its way to RGB, read from Pillow's view of it."""
    bands = image.getbands()
    notes = []
    if kind in ("JPEG", "PNG") and bands[0] in ("1", "L", "I"):
        notes.append(_GRAY_NOTE)
    if kind == "JPEG" and image.mode == "CMYK":
        notes.append("CMYK JPEG: converted to RGB by TensorFlow's decoder")
    if "A" in bands and kind != "BMP":
        notes.append(_ALPHA_NOTE)
    elif kind == "PNG" and "transparency" in image.info:
        notes.append(_ALPHA_NOTE.replace("alpha channel", "transparency (tRNS chunk)"))
    # Pillow reads 16-bit colour PNGs into 8-bit modes; the bit depth is byte 24, in
    # the IHDR chunk that comes first, whose CRC Pillow checked on opening.
    if kind == "PNG" and data[12:16] == b"IHDR" and data[24] == 16:
        notes.append("16-bit: decoded with all 16 bits, 65535 being white")
    # TensorFlow keeps three of a 32-bit BMP's four channels, whether Pillow takes the
    # fourth for alpha or padding; the bit count is in the header Pillow parsed.
    if kind == "BMP" and int.from_bytes(data[28:30], "little") == 32:
        notes.append("32-bit BMP: its fourth (alpha) channel is dropped")
    if kind == "GIF" and frames > 1:
        notes.append("animated GIF: only its first frame is used")
    return notes


def _open(kind: str, data: bytes) -> tuple[ImageFile.ImageFile, int]:
    """Open `data` with Pillow's reader for `kind`; return the image and the offset
    where its reader stopped, or raise `Unusable`.
    """
    stream = io.BytesIO(data)
    # Pillow's readers raise many exception types on a bad file (SyntaxError, OSError,
    # ValueError, struct.error...): any of them means that the file cannot be used.
    try:
        return _READERS[kind](stream), stream.tell()
    except Image.DecompressionBombError as error:
        raise Unusable(f"too large: {error}") from None
    except Exception as error:
        # The readers parse a header piece by piece, so one that failed with no data
        # left was cut off; the WebP reader hands the whole file to libwebp, and the
        # RIFF header says how long the file should be.
        if kind == "WebP":
            cut = int.from_bytes(data[4:8], "little") + 8 > len(data)
        else:
            cut = stream.tell() >= len(data)
        raise Unusable(_reason(error, kind, "header", cut=cut)) from None


def inspect_image_file(path: Path, max_bytes: int) -> tuple[int, list[str]]:
    """Return how to decode an image file and what conversions it needs, or raise
    `Unusable`, saying why the file cannot be used.
    """
    data = read_regular(path, max_bytes=max_bytes)
    if not data:
        raise Unusable("empty file (0 bytes)")
    kind = _format(data)
    if kind is None:
        _not_an_image(data)
    if kind == "WebP" and not features.check_module("webp"):
        raise Unusable("WebP image: this installation of Pillow cannot read WebP")
    image, stop = _open(kind, data)
    with image:
        _check_pixels(image)
        if kind == "JPEG":
            if not image.tile:  # Pillow stops quietly at the end of a short file
                raise Unusable("truncated: the file ends inside the JPEG header")
            _check_jpeg_end(data, stop)
        frames = _frames(image, data) if kind == "GIF" else 1
        notes = _conversions(kind, image, data, frames)
        try:
            if kind == "PNG":
                image.verify()
            elif kind != "JPEG":
                image.load()
        except Image.DecompressionBombError as error:
            raise Unusable(f"too large: {error}") from None
        except Exception as error:  # any exception of Pillow's reader, as in `_open`
            # These read in large blocks and say themselves when the data ran out.
            part = "chunks" if kind == "PNG" else "image data"
            raise Unusable(_reason(error, kind, part, cut=False)) from None
    if kind == "PNG" and any(note.startswith("16-bit") for note in notes):
        return DECODE_16BIT, notes
    if kind == "WebP" and image.mode == "RGBA":
        return DECODE_DROP_ALPHA, notes
    return DECODE_8BIT, notes


def decode(
    contents: tf.Tensor,
    decoder: tf.Tensor | int,
    finish: Callable[[tf.Tensor, int], tf.Tensor],
) -> tf.Tensor:
    """Decode one image file's bytes to RGB and return `finish(image, peak)`.

    `image` is uint8, or uint16 for 16-bit PNGs, and `peak` its largest possible
    value (255 or 65535). `decoder` is a file's code from the scan: a tensor picks
    the branch per image; a Python int, when the whole folder decodes one way,
    builds that branch alone.
    """

    def eight_bit() -> tf.Tensor:
        image = tf.io.decode_image(contents, channels=3, expand_animations=False)
        return finish(image, 255)

    def sixteen_bit() -> tf.Tensor:
        return finish(tf.io.decode_png(contents, channels=3, dtype=tf.uint16), 65535)

    def drop_alpha() -> tf.Tensor:
        image = tf.io.decode_image(contents, channels=4, expand_animations=False)
        return finish(image[..., :3], 255)

    branches = [eight_bit, sixteen_bit, drop_alpha]
    if isinstance(decoder, int):
        return branches[decoder]()
    return tf.switch_case(decoder, branches)


def _tensorflow_reason(error: tf.errors.OpError) -> str:
    """TensorFlow's error message without the op and function names around it."""
    message = re.sub(r"\{\{function_node [^}]*\}\}\s*", "", error.message)
    return re.sub(r"\s*\[Op:\w+\]\s*$", "", message).strip()


def _image_shape(image: tf.Tensor, peak: int) -> tf.Tensor:
    del peak
    return tf.shape(image)


def undecodable(paths: Sequence[Path], decoders: Sequence[int]) -> dict[int, str]:
    """Decode every file once, in parallel, and return why
    each failure failed, by index.
    """
    if not paths:
        return {}
    files = tf.data.Dataset.from_tensor_slices(
        (
            np.arange(len(paths)),
            [os.fsencode(path) for path in paths],
            np.asarray(decoders, np.int32),
        )
    )

    def check(
        index: tf.Tensor, path: tf.Tensor, decoder: tf.Tensor
    ) -> tuple[tf.Tensor, ...]:
        # The shape depends on the decoded image, so the decode cannot be pruned away.
        return index, decode(tf.io.read_file(path), decoder, _image_shape)

    decoded = files.map(check, num_parallel_calls=tf.data.AUTOTUNE, deterministic=False)
    good = np.zeros(len(paths), bool)
    # A failing file drops out here; it is decoded again below, alone, to learn why.
    for indices, _ in decoded.ignore_errors().batch(1024).as_numpy_iterator():
        good[indices] = True
    reasons = {}
    for index in (int(index) for index in np.flatnonzero(~good)):
        contents = tf.io.read_file(os.fsencode(paths[index]))
        try:
            decode(contents, decoders[index], _image_shape)
        except tf.errors.OpError as error:
            reasons[index] = f"cannot be decoded: {_tensorflow_reason(error)}"
        else:
            reasons[index] = "cannot be decoded reliably (it failed once, then decoded)"
    return reasons
