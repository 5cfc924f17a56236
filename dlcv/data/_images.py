"""One file of an image folder: its structure checked by reading its bytes, then
decoded with TensorFlow.

The check reads the file's bytes once: the format from its magic bytes, not its
extension, and the structure of JPEG, PNG, GIF, BMP and WebP files, which finds cut-off
and corrupted files without a decoder, and quietly, where TensorFlow's JPEG decoder
writes to stderr.

This module is private: its names are not re-exported by `dlcv` or `dlcv.data`.

Examples:
    >>> import tempfile
    >>> from PIL import Image
    >>> folder = Path(tempfile.mkdtemp())
    >>> Image.new("I;16", (4, 4)).save(folder / "deep.png")
    >>> decoder, notes = inspect_image_file(folder / "deep.png", max_bytes=1 << 20)
    >>> decoder == DECODE_16BIT, notes[1]
    (True, '16-bit: decoded with all 16 bits, 65535 being white')
"""

from __future__ import annotations

import os
import re
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import tensorflow as tf

from dlcv.data._files import Unusable, read_regular

__all__ = [
    "DECODE_8BIT",
    "DECODE_16BIT",
    "DECODE_DROP_ALPHA",
    "decode",
    "inspect_image_file",
    "undecodable",
]

# How a file is decoded, set by its header: TensorFlow 2.21 decodes 16-bit PNGs to 8
# bits unless asked for uint16, and refuses `channels=3` for a WebP with alpha.
DECODE_8BIT, DECODE_16BIT, DECODE_DROP_ALPHA = 0, 1, 2
_ALPHA_NOTE = (
    "alpha channel dropped (the colours stored under transparent pixels are kept, "
    "not blended with a background)"
)
_GRAY_NOTE = "grayscale: its one channel is copied to red, green and blue"


def _inspect_jpeg(data: bytes) -> tuple[int, list[str]]:
    """Walk a JPEG's header segments to its first scan and check that the file ends."""
    size, position, components = len(data), 2, 0
    while True:
        if position >= size:
            raise Unusable("truncated: the file ends inside the JPEG header")
        if data[position] != 0xFF:
            raise Unusable(
                f"corrupt: no JPEG marker where one must be (byte {position})"
            )
        while position < size and data[position] == 0xFF:  # fill bytes
            position += 1
        if position >= size:
            raise Unusable("truncated: the file ends inside the JPEG header")
        marker = data[position]
        position += 1
        if marker == 0xD9:
            raise Unusable("corrupt: the JPEG ends before any image data")
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # markers without a length
            continue
        if position + 2 > size:
            raise Unusable("truncated: the file ends inside the JPEG header")
        length = int.from_bytes(data[position : position + 2], "big")
        if length < 2:
            raise Unusable(f"corrupt: a JPEG segment of impossible length {length}")
        if position + length > size:
            raise Unusable("truncated: the file ends inside the JPEG header")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC) and length >= 8:
            components = data[position + 7]
        if marker == 0xDA:  # start of scan: compressed data follows
            if not components:
                raise Unusable("corrupt: JPEG image data before the frame header")
            # Compressed data cannot hold FF D9 (an FF there is followed by 00 or
            # D0-D7), so a file without it after the first scan was cut off.
            if data.find(b"\xff\xd9", position + length) < 0:
                raise Unusable(
                    "truncated: the JPEG has no end-of-image marker (the file was cut "
                    "off)"
                )
            break
        position += length
    notes = {
        1: [_GRAY_NOTE],
        4: ["CMYK JPEG: converted to RGB by TensorFlow's decoder"],
    }
    return DECODE_8BIT, notes.get(components, [])


def _inspect_png(data: bytes) -> tuple[int, list[str]]:
    """Walk a PNG's chunks, checking each one's CRC, and read
    its bit depth and colour type.
    """
    view, size, position = memoryview(data), len(data), 8
    bit_depth, colour_type, transparency = 0, -1, False
    while True:
        if position + 8 > size:
            raise Unusable("truncated: the PNG ends before its IEND chunk")
        length = int.from_bytes(data[position : position + 4], "big")
        kind = data[position + 4 : position + 8].decode("latin-1")
        end = position + 12 + length
        if end > size:
            raise Unusable(f"truncated: the file ends inside the PNG's {kind!r} chunk")
        stored = int.from_bytes(data[end - 4 : end], "big")
        if zlib.crc32(view[position + 4 : end - 4]) != stored:
            raise Unusable(
                f"corrupt: the PNG's {kind!r} chunk fails its CRC check (byte "
                f"{position})"
            )
        if position == 8:
            if kind != "IHDR" or length != 13:
                raise Unusable("corrupt: the PNG does not start with an IHDR chunk")
            bit_depth, colour_type = data[position + 16], data[position + 17]
        if kind == "tRNS":
            transparency = True
        if kind == "IEND":
            break
        position = end
    notes = []
    if colour_type in (0, 4):
        notes.append(_GRAY_NOTE)
    if colour_type in (4, 6):
        notes.append(_ALPHA_NOTE)
    elif transparency:
        notes.append(_ALPHA_NOTE.replace("alpha channel", "transparency (tRNS chunk)"))
    if bit_depth == 16:
        notes.append("16-bit: decoded with all 16 bits, 65535 being white")
        return DECODE_16BIT, notes
    return DECODE_8BIT, notes


def _skip_gif_blocks(data: bytes, position: int) -> int:
    """Return the position after a chain of GIF data
    sub-blocks starting at `position`.
    """
    while True:
        if position >= len(data):
            raise Unusable("truncated: the file ends inside GIF image data")
        length = data[position]
        position += 1 + length
        if length == 0:
            return position


def _inspect_gif(data: bytes) -> tuple[int, list[str]]:
    """Walk a GIF's blocks to its trailer, counting the frames."""
    if len(data) < 13:
        raise Unusable("truncated: the file ends inside the GIF header")
    position = 13
    if data[10] & 0x80:  # global colour table
        position += 3 * 2 ** ((data[10] & 0x07) + 1)
    frames = 0
    while True:
        if position >= len(data):
            raise Unusable("truncated: the GIF has no trailer (the file was cut off)")
        block = data[position]
        if block == 0x3B:
            break
        if block == 0x21:  # extension: label, then sub-blocks
            position = _skip_gif_blocks(data, position + 2)
        elif (
            block == 0x2C
        ):  # image: descriptor, local colour table, code size, sub-blocks
            if position + 10 > len(data):
                raise Unusable("truncated: the file ends inside a GIF image descriptor")
            flags = data[position + 9]
            position += 10 + (3 * 2 ** ((flags & 0x07) + 1) if flags & 0x80 else 0)
            position = _skip_gif_blocks(data, position + 1)
            frames += 1
        else:
            raise Unusable(
                f"corrupt: unknown GIF block {block:#04x} at byte {position}"
            )
    if frames == 0:
        raise Unusable("corrupt: the GIF holds no image")
    return DECODE_8BIT, [
        "animated GIF: only its first frame is used"
    ] if frames > 1 else []


def _inspect_bmp(data: bytes) -> tuple[int, list[str]]:
    if len(data) < 30 or len(data) < int.from_bytes(data[2:6], "little"):
        raise Unusable("truncated: the BMP is shorter than its header says")
    bits = int.from_bytes(data[28:30], "little")
    return DECODE_8BIT, [
        "32-bit BMP: its fourth (alpha) channel is dropped"
    ] if bits == 32 else []


def _inspect_webp(data: bytes) -> tuple[int, list[str]]:
    if len(data) < 30 or len(data) < int.from_bytes(data[4:8], "little") + 8:
        raise Unusable("truncated: the WebP is shorter than its header says")
    chunk = data[12:16]
    if chunk == b"VP8X":
        alpha = bool(data[20] & 0x10)
    elif chunk == b"VP8L":
        alpha = bool((int.from_bytes(data[21:25], "little") >> 28) & 1)
    else:
        alpha = False
    return (DECODE_DROP_ALPHA, [_ALPHA_NOTE]) if alpha else (DECODE_8BIT, [])


def inspect_image_file(path: Path, max_bytes: int) -> tuple[int, list[str]]:
    """Return how to decode an image file and what conversions it
    needs, or raise `Unusable`.
    """
    data = read_regular(path, max_bytes=max_bytes)
    if not data:
        raise Unusable("empty file (0 bytes)")
    if data.startswith(b"\xff\xd8\xff"):
        return _inspect_jpeg(data)
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return _inspect_png(data)
    if data.startswith((b"GIF87a", b"GIF89a")):
        return _inspect_gif(data)
    if data.startswith(b"BM"):
        return _inspect_bmp(data)
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return _inspect_webp(data)
    if data.startswith((b"II*\x00", b"MM\x00*")):
        raise Unusable("TIFF image: a format TensorFlow does not decode")
    start = data[:16]
    if all(32 <= byte < 127 or byte in b"\t\n\r" for byte in start):
        raise Unusable(f"not an image: it starts with the text {start.decode()!r}")
    raise Unusable(
        f"not an image: its first bytes ({start[:8].hex(' ')}) match no image format"
    )


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
