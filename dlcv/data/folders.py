"""Folders of image files, one subfolder per class: scan them, then read them as a
`tf.data` pipeline.

Scanning a folder finds every file that cannot become a correctly labelled RGB image and
says why, before anything trains: first by reading each file's bytes and checking them
with Pillow (the format from its first bytes, not its extension; cut-off and corrupted
files found quietly, where TensorFlow's JPEG decoder writes to stderr), then by decoding
every file once with the very function the pipeline uses, so no file that passed can
fail in training.
"""

from __future__ import annotations

import dataclasses
import os
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import tensorflow as tf

from dlcv._validation import (
    check_non_negative_int,
    check_one_of,
    check_positive_int,
    check_size_pair,
    check_value_range,
)
from dlcv.data._files import Unusable, display_name
from dlcv.data._images import decode, inspect_image_file, undecodable
from dlcv.data.arrays import _check_augment, _check_cache, make_batches

__all__ = [
    "ImageFolder",
    "ImageFolderError",
    "ImageIssue",
    "make_folder_dataset",
    "scan_image_folder",
]

_IMAGE_EXTENSIONS = (".bmp", ".gif", ".jpeg", ".jpg", ".png", ".webp")
# Each file is read whole into memory; the cap keeps one huge (or endless) file from
# taking it all. A 100-megapixel photograph is a few tens of MiB as a JPEG.
_MAX_IMAGE_BYTES = 64 << 20
_INTERPOLATIONS = (
    "bilinear",
    "nearest",
    "area",
    "bicubic",
    "lanczos3",
    "lanczos5",
    "gaussian",
    "mitchellcubic",
)
# Filters with negative lobes overshoot [0, 1] near edges; the pipeline
# clips what they give.
_OVERSHOOTING = frozenset({"bicubic", "lanczos3", "lanczos5", "mitchellcubic"})


@dataclasses.dataclass(frozen=True)
class ImageIssue:
    """A file of an image folder that is converted on the way in, skipped or ignored.

    Attributes:
        path: the file (or hidden folder).
        action: `"converted"` (used, after the change `reason` describes), `"skipped"`
            (left out: it cannot be a correctly labelled image) or `"ignored"` (a hidden
            file or folder, such as `.DS_Store`, left out without counting as an error).
        reason: what is special about the file and what is done about it.

    See: [Input pipelines](../vision/input-pipelines.md)
    """

    path: Path
    action: str
    reason: str

    def __str__(self) -> str:
        return f"{self.action} `{display_name(self.path)}`: {self.reason}"


@dataclasses.dataclass(frozen=True)
class ImageFolder:
    """What `scan_image_folder` found: the classes, each
    usable file's label, and the issues.

    Attributes:
        directory: the folder scanned.
        class_names: the class of each label, in label order (the subfolder names,
            sorted, unless `class_names` was given to the scan).
        paths: the files the pipeline uses, by class folder (sorted by
            name), then by name.
        labels: the label of each of `paths`.
        issues: every file converted, skipped or ignored, with the reason.
        decoders: how each of `paths` is decoded (internal codes, set from its header).

    See: [Input pipelines](../vision/input-pipelines.md)
    """

    directory: Path
    class_names: tuple[str, ...]
    paths: tuple[Path, ...]
    labels: tuple[int, ...]
    issues: tuple[ImageIssue, ...]
    decoders: tuple[int, ...] = dataclasses.field(repr=False)

    @property
    def converted(self) -> tuple[ImageIssue, ...]:
        """The files used after a conversion (grayscale, alpha, CMYK, 16-bit ...)."""
        return tuple(issue for issue in self.issues if issue.action == "converted")

    @property
    def skipped(self) -> tuple[ImageIssue, ...]:
        """The files left out because they cannot be a correctly labelled image."""
        return tuple(issue for issue in self.issues if issue.action == "skipped")

    @property
    def ignored(self) -> tuple[ImageIssue, ...]:
        """The hidden files and folders left out."""
        return tuple(issue for issue in self.issues if issue.action == "ignored")

    @property
    def counts(self) -> tuple[int, ...]:
        """How many usable images each class has, in label order."""
        counts = [0] * len(self.class_names)
        for label in self.labels:
            counts[label] += 1
        return tuple(counts)

    def name(self, path: Path) -> str:
        """`path` relative to the folder scanned, as the report prints it."""
        try:
            return display_name(path.relative_to(self.directory).as_posix())
        except ValueError:
            return display_name(path)

    def summary(self) -> str:
        """A readable report: the classes with their labels
        and counts, then every issue.
        """
        lines = [
            f"{display_name(self.directory.name)}/: {len(self.class_names)} classes, "
            f"{len(self.paths)} images to use ({len(self.converted)} converted), "
            f"{len(self.skipped)} files skipped, "
            f"{len(self.ignored)} ignored"
        ]
        for label, (class_name, count) in enumerate(
            zip(self.class_names, self.counts, strict=True)
        ):
            lines.append(
                f"  label {label}: {display_name(class_name)!r}, {count} images"
            )
        for action in ("converted", "skipped", "ignored"):
            chosen = [issue for issue in self.issues if issue.action == action]
            if chosen:
                lines.append(f"{action}:")
                lines.extend(
                    f"  {self.name(issue.path)}: {issue.reason}" for issue in chosen
                )
        return "\n".join(lines)


class ImageFolderError(ValueError):
    """Raised when an image folder holds files that cannot be used; `report` lists them.

    See: [Input pipelines](../vision/input-pipelines.md)
    """

    def __init__(self, report: ImageFolder) -> None:
        bad = report.skipped
        listing = "\n".join(
            f"  {report.name(issue.path)}: {issue.reason}" for issue in bad
        )
        super().__init__(
            f"{len(bad)} file(s) in `{display_name(report.directory.name)}/` cannot "
            'be used as labelled images (fix or remove them, or pass on_error="skip" '
            f"to leave them out):\n{listing}"
        )
        self.report = report


def _check_names(value: object, name: str) -> tuple[str, ...]:
    message = (
        f"`{name}` must be a list of distinct, non-empty strings. Received: "
        f"{name}={value!r}"
    )
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise TypeError(message)
    names = tuple(value)
    if not all(isinstance(item, str) for item in names):
        raise TypeError(message)
    if not all(item.strip() for item in names) or len(set(names)) != len(names):
        raise ValueError(message)
    return names


def _entries(folder: Path) -> list[Path]:
    """The entries of `folder`, sorted by name; raises
    `OSError` if it cannot be listed.
    """
    with os.scandir(folder) as listing:
        return sorted(
            (Path(entry.path) for entry in listing), key=lambda path: path.name
        )


def _is_hidden(path: Path) -> bool:
    return path.name.startswith(".")


def _nested_issues(folder: Path, class_name: str) -> list[ImageIssue]:
    """Report each file below a folder nested inside a class
    folder (not used: no label).
    """
    issues = []
    for root, folders, files in os.walk(folder):
        hidden = sorted(name for name in folders if name.startswith("."))
        folders[:] = sorted(name for name in folders if not name.startswith("."))
        for name in hidden:
            issues.append(ImageIssue(Path(root, name), "ignored", "hidden folder"))
        for name in sorted(files):
            path = Path(root, name)
            if _is_hidden(path):
                issues.append(ImageIssue(path, "ignored", "hidden file"))
            else:
                reason = (
                    f"in a folder nested inside class folder {class_name!r}: only "
                    "files directly in a class folder are labelled"
                )
                issues.append(ImageIssue(path, "skipped", reason))
    return issues


def scan_image_folder(
    directory: str | os.PathLike[str],
    *,
    class_names: Sequence[str] | None = None,
    extensions: Sequence[str] = _IMAGE_EXTENSIONS,
    verify: bool = True,
    max_file_bytes: int = _MAX_IMAGE_BYTES,
) -> ImageFolder:
    """Find the classes and images of a folder, and every file that needs care, by name.

    `directory` holds one subfolder per class; the files directly in a class folder are
    its images. Each file is read once and recognised by its content (its magic bytes),
    not its extension. Only regular files are read (a symbolic link counts as what it
    points to): a named pipe, a device such as `/dev/zero`, a socket, or a file over
    `max_file_bytes` is skipped by name, unread, and so is a class folder that cannot be
    listed. Files that are empty, not images, cut off or corrupted are skipped, as found
    by Pillow's reader for the format: a JPEG's segments (and its end-of-image marker),
    the chunk CRCs of a PNG (on opening and by `verify()`), the image of a GIF (its
    first frame), BMP or WebP (`load()`). So is an image of more pixels than
    `PIL.Image.MAX_IMAGE_PIXELS`, Pillow's guard against decompression bombs, which the
    scan reads but never changes.
    With `verify`, each remaining file is then decoded once, in parallel, by the same
    function the pipeline uses, and a file TensorFlow cannot decode is skipped too: this
    costs about one epoch of decoding, and guarantees that no file fails later, in
    training. Files that can be used after a change are reported as converted: grayscale
    (copied to three channels), an alpha channel or transparency (dropped), CMYK JPEG
    (converted to RGB), 16-bit PNG (decoded with all 16 bits), an animated GIF (its
    first frame). Files directly in `directory` and files in folders nested inside a
    class folder have no label and are skipped; hidden files and folders (names starting
    with ".") are listed as ignored.

    Damage inside a JPEG's compressed data that leaves its structure intact decodes,
    with wrong pixels and a warning from libjpeg on stderr: no check short of comparing
    pixels can tell, since JPEG files carry no checksum.

    Args:
        directory: the folder of class folders.
        class_names: the classes, in label order. Defaults to `None` (the subfolders'
            names, sorted). Give the training folder's `class_names` when scanning a
            validation folder, so the same class gets the same label even if a folder is
            missing; files in a folder not named here are skipped.
        extensions: the file name endings (any case) of the files to consider; files
            with other endings are skipped without being read. Defaults to `.bmp`,
            `.gif`, `.jpeg`, `.jpg`, `.png` and `.webp`, the formats TensorFlow decodes.
        verify: whether to decode every file once to be sure it
            decodes. Defaults to `True`.
        max_file_bytes: the largest file read, in bytes; a larger one is
            skipped unread. Defaults to 64 MiB (67,108,864), far above any
            photograph a network trains on.

    Returns:
        An `ImageFolder`; its `summary()` is a readable report.

    Raises:
        FileNotFoundError: if `directory` does not exist.
        NotADirectoryError: if `directory` is not a folder.
        TypeError: if `class_names` or `extensions` is not a list of strings, or
            `max_file_bytes` is not an integer.
        ValueError: if `class_names` holds repeats or empty names, an extension does not
            start with a dot, or `max_file_bytes` is not positive.

    Examples:
        >>> import tempfile
        >>> from PIL import Image
        >>> folder = Path(tempfile.mkdtemp())
        >>> (folder / "cats").mkdir()
        >>> Image.new("L", (8, 8)).save(folder / "cats" / "gray.png")
        >>> (folder / "cats" / "empty.jpg").touch()
        >>> print(scan_image_folder(folder).summary().split("\\n", 1)[1])
          label 0: 'cats', 1 images
        converted:
          cats/gray.png: grayscale: its one channel is copied to red, green and blue
        skipped:
          cats/empty.jpg: empty file (0 bytes)

    See: [Input pipelines](../vision/input-pipelines.md)
    """
    folder = Path(directory)
    if not folder.exists():
        raise FileNotFoundError(
            "`directory` must be an existing folder. Received: "
            f"directory={str(folder)!r}"
        )
    if not folder.is_dir():
        raise NotADirectoryError(
            "`directory` must be a folder, not a file. Received: "
            f"directory={str(folder)!r}"
        )
    max_file_bytes = check_positive_int(max_file_bytes, "max_file_bytes")
    endings = _check_names(extensions, "extensions")
    if not all(ending.startswith(".") for ending in endings):
        raise ValueError(
            "`extensions` must be file endings that start with a dot. Received: "
            f"{endings!r}"
        )
    endings = tuple(ending.lower() for ending in endings)
    given = None if class_names is None else _check_names(class_names, "class_names")

    issues: list[ImageIssue] = []
    subfolders = []
    for entry in _entries(folder):
        if _is_hidden(entry):
            kind = "folder" if entry.is_dir() else "file"
            issues.append(ImageIssue(entry, "ignored", f"hidden {kind}"))
        elif entry.is_dir():
            subfolders.append(entry)
        else:
            reason = (
                "not in a class folder: a file directly in the top folder has no label"
            )
            issues.append(ImageIssue(entry, "skipped", reason))
    names = given if given is not None else tuple(entry.name for entry in subfolders)
    label_of = {name: label for label, name in enumerate(names)}

    candidates: list[tuple[Path, int]] = []
    for subfolder in subfolders:
        label = label_of.get(subfolder.name)
        try:
            entries = _entries(subfolder)
        except OSError as error:
            reason = (
                f"unreadable folder ({error.strerror or error}): "
                "none of its files is read"
            )
            issues.append(ImageIssue(subfolder, "skipped", reason))
            continue
        for entry in entries:
            if _is_hidden(entry):
                kind = "folder" if entry.is_dir() else "file"
                issues.append(ImageIssue(entry, "ignored", f"hidden {kind}"))
            elif entry.is_dir():
                issues.extend(_nested_issues(entry, subfolder.name))
            elif label is None:
                reason = f"its folder {subfolder.name!r} is not one of `class_names`"
                issues.append(ImageIssue(entry, "skipped", reason))
            elif entry.suffix.lower() not in endings:
                ending = repr(entry.suffix) if entry.suffix else "no extension"
                reason = (
                    f"not an image file name: {ending} is not one of "
                    f"{', '.join(endings)}"
                )
                issues.append(ImageIssue(entry, "skipped", reason))
            else:
                candidates.append((entry, label))

    def inspect(path: Path) -> tuple[int, list[str]] | str:
        try:
            return inspect_image_file(path, max_file_bytes)
        except Unusable as problem:
            return str(problem)

    # Reading files releases the GIL, so threads overlap the reads with the parsing.
    with ThreadPoolExecutor(max_workers=min(32, (os.cpu_count() or 1) + 4)) as pool:
        results = list(pool.map(inspect, [path for path, _ in candidates]))
    kept = []
    for (path, label), result in zip(candidates, results, strict=True):
        if isinstance(result, str):
            issues.append(ImageIssue(path, "skipped", result))
        else:
            kept.append((path, label, result[0], result[1]))
    if verify:
        failures = undecodable(
            [path for path, *_ in kept], [code for _, _, code, _ in kept]
        )
        for index in sorted(failures):
            issues.append(ImageIssue(kept[index][0], "skipped", failures[index]))
        kept = [item for index, item in enumerate(kept) if index not in failures]
    for path, _, _, notes in kept:
        if notes:
            issues.append(ImageIssue(path, "converted", "; ".join(notes)))
    return ImageFolder(
        directory=folder,
        class_names=names,
        paths=tuple(path for path, *_ in kept),
        labels=tuple(label for _, label, _, _ in kept),
        issues=tuple(sorted(issues, key=lambda issue: issue.path.parts)),
        decoders=tuple(code for _, _, code, _ in kept),
    )


# One float32 RGB image of 16,384 x 16,384 pixels already takes 3 GiB; a larger size is
# a mistake that would otherwise fail deep inside TensorFlow, at the first batch.
_MAX_IMAGE_SIDE = 1 << 14


def make_folder_dataset(
    directory: str | os.PathLike[str],
    *,
    image_size: int | tuple[int, int],
    batch_size: int,
    shuffle: bool = True,
    seed: int = 0,
    augment: Callable[[tf.Tensor], tf.Tensor] | None = None,
    cache: bool | str | os.PathLike[str] = False,
    interpolation: str = "bilinear",
    value_range: tuple[float, float] = (0.0, 1.0),
    on_error: str = "raise",
    report: ImageFolder | None = None,
    drop_remainder: bool = False,
    deterministic: bool = True,
) -> tf.data.Dataset:
    """Build a training pipeline from a folder of images with one subfolder per class.

    The folder is scanned first with `scan_image_folder` (pass the `report` of an
    earlier scan to skip it). Each image is then read and decoded in parallel,
    resized to `image_size`, and mapped to float32 in `value_range`; the rest of the
    stages are `make_batches`'s. Without a cache, the shuffle reorders the file names
    before anything is decoded, which costs almost no memory; with a cache, it
    reorders the decoded images after the cache (the cache would otherwise keep the
    first epoch's order for ever).

    Args:
        directory: the folder of class folders.
        image_size: the `(height, width)` of every image, or one number for both; each
            at most 16,384.
        batch_size: images per batch.
        shuffle: whether to shuffle, with a fresh order each epoch. Defaults to `True`.
        seed: the shuffle seed. Defaults to 0.
        augment: a function applied to each batch of images (a Keras layer or
            `keras.Sequential` of random layers works), or `None`. Defaults to `None`.
        cache: `True` to keep the decoded, resized images in memory after the first
            epoch (height x width x 3 x 4 bytes each), a file name to keep them on disk,
            `False` to decode every epoch. Defaults to `False`.
        interpolation: the resize method, one of `tf.image.ResizeMethod`'s names.
            Defaults to `"bilinear"`.
        value_range: the `(low, high)` that black and white map to. `(0, 255)` gives the
            values `keras.utils.image_dataset_from_directory` gives, which the
            `keras.applications` models with built-in preprocessing (EfficientNet,
            ConvNeXt) and the `preprocess_input` functions expect, and skips one
            multiplication per image; `(-1, 1)` is MobileNet's and Inception's scale.
            Defaults to `(0.0, 1.0)`.
        on_error: what to do when files must be skipped (see `scan_image_folder`):
            `"raise"` an `ImageFolderError` that lists them, or `"skip"` them (with a
            warning naming them when no `report` was passed). Defaults to `"raise"`.
        report: the result of `scan_image_folder(directory)`, to avoid scanning twice.
            Defaults to `None` (scan now).
        drop_remainder: whether to drop a last, smaller batch. Defaults to `False`.
        deterministic: whether a run can be repeated exactly: the images come out in the
            order the shuffle chose, however long each takes to decode, and `augment`
            works on one batch at a time (see `make_batches`); `False` lets a slow image
            fall behind instead of holding up the others, and augments batches in
            parallel. Defaults to `True`.

    Returns:
        A `tf.data.Dataset` of `(images, labels)` batches: float32 images of shape
        `(batch, height, width, 3)` in `value_range`, int64 labels indexing
        `report.class_names`.

    Raises:
        ImageFolderError: if `on_error="raise"` and some files must be skipped.
        FileNotFoundError: if `directory` does not exist.
        TypeError: if an integer argument is not an integer, `augment` is not callable
            or `cache` is neither a bool nor a file name.
        ValueError: if `image_size`, `batch_size` or `seed` is out of range,
            `interpolation` or `on_error` is not one of its choices, `value_range` is
            not a pair of finite numbers in increasing order, `report` describes another
            folder, or no image is usable.

    Examples:
        >>> import tempfile
        >>> from PIL import Image
        >>> folder = Path(tempfile.mkdtemp())
        >>> for name in ("cats", "dogs"):
        ...     (folder / name).mkdir()
        ...     Image.new("RGB", (40, 30)).save(folder / name / "one.jpg")
        >>> dataset = make_folder_dataset(
        ...     folder, image_size=16, batch_size=2, shuffle=False
        ... )
        >>> images, labels = next(iter(dataset))
        >>> tuple(images.shape), images.dtype.name, labels.numpy().tolist()
        ((2, 16, 16, 3), 'float32', [0, 1])

    See: [Input pipelines](../vision/input-pipelines.md)
    """
    height, width = check_size_pair(image_size, "image_size", maximum=_MAX_IMAGE_SIDE)
    batch_size = check_positive_int(batch_size, "batch_size")
    seed = check_non_negative_int(seed, "seed")
    _check_augment(augment)
    cache_file = _check_cache(cache)
    method = check_one_of(interpolation, "interpolation", _INTERPOLATIONS)
    low, high = check_value_range(value_range)
    on_error = check_one_of(on_error, "on_error", ("raise", "skip"))
    if report is None:
        report = scan_image_folder(directory)
        unseen = True
    elif Path(directory).resolve() != report.directory.resolve():
        raise ValueError(
            "`report` must describe `directory`. Received: "
            f"report.directory={str(report.directory)!r}, directory={str(directory)!r}"
        )
    else:
        unseen = False
    if report.skipped and on_error == "raise":
        raise ImageFolderError(report)
    if report.skipped and unseen:
        first = report.skipped[0]
        warnings.warn(
            f"{len(report.skipped)} file(s) in `{display_name(report.directory)}` "
            f"skipped, the first `{display_name(first.path)}`: {first.reason}; "
            "scan_image_folder(...).summary() lists them all",
            stacklevel=2,
        )
    if not report.paths:
        raise ValueError(
            "`directory` must hold at least one usable image in a class folder. "
            f"Received: directory={str(report.directory)!r}, with {len(report.issues)} "
            "other file(s)"
        )

    files = tf.data.Dataset.from_tensor_slices(
        (
            [os.fsencode(path) for path in report.paths],
            np.asarray(report.labels, np.int64),
            np.asarray(report.decoders, np.int32),
        )
    )
    if shuffle and cache_file is None:  # names are cheap to shuffle, images are not
        files = files.shuffle(
            len(report.paths), seed=seed, reshuffle_each_iteration=True
        )
    # One decoder for the whole folder (the usual case) builds no branch per image.
    single = report.decoders[0] if len(set(report.decoders)) == 1 else None

    def resize(image: tf.Tensor, peak: int) -> tf.Tensor:
        # Resizing is linear, so scaling the small result is the same as scaling
        # the input; a factor of 1 and an offset of 0, as for 8-bit images to
        # (0, 255), cost nothing.
        resized = tf.cast(
            tf.image.resize(image, (height, width), method=method), tf.float32
        )
        if (high - low) != peak:
            resized = resized * ((high - low) / peak)
        if low != 0:
            resized = resized + low
        return (
            tf.clip_by_value(resized, low, high) if method in _OVERSHOOTING else resized
        )

    def load(
        path: tf.Tensor, label: tf.Tensor, decoder: tf.Tensor
    ) -> tuple[tf.Tensor, ...]:
        image = decode(
            tf.io.read_file(path), decoder if single is None else single, resize
        )
        image.set_shape(
            (height, width, 3)
        )  # static: a branch per image hides the shape
        return image, label

    examples = files.map(
        load, num_parallel_calls=tf.data.AUTOTUNE, deterministic=deterministic
    )
    return make_batches(
        examples,
        batch_size=batch_size,
        shuffle=shuffle and cache_file is not None,
        seed=seed,
        augment=augment,
        cache=cache,
        drop_remainder=drop_remainder,
        deterministic=deterministic,
    )
