"""Tests for dlcv.data's image-folder pipeline, on real files broken by the tests themselves."""

import io
import os
import struct
import zlib
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf
from helpers.blocking import call_with_timeout, run_apart
from PIL import Image, ImageFile
from skimage import data as skdata

from dlcv.data import (
    ImageFolderError,
    load_digits_images,
    make_batches,
    make_dataset,
    make_folder_dataset,
    scan_image_folder,
)

SIZE = 32  # every test image is SIZE x SIZE, so resizing to SIZE leaves its pixels alone


def crop(image: np.ndarray, row: int, col: int) -> np.ndarray:
    return np.ascontiguousarray(image[row : row + SIZE, col : col + SIZE])


CAT = crop(skdata.chelsea(), 100, 150)
ROCKET = crop(skdata.rocket(), 200, 300)
# 16-bit grey levels that an 8-bit decode would have to round: 0, 100, 200, ... 102,300.
DEEP = (np.arange(SIZE * SIZE, dtype=np.uint16) * 100).reshape(SIZE, SIZE)
# RGBA: the right half transparent, with colours still stored under it.
ALPHA = np.where(np.arange(SIZE) < SIZE // 2, 255, 0).astype(np.uint8)[None, :].repeat(SIZE, 0)


def png_with_broken_data() -> bytes:
    """A PNG whose chunks are intact (CRCs recomputed) but whose compressed pixels are not."""
    buffer = io.BytesIO()
    Image.fromarray(CAT).save(buffer, "PNG")
    content = buffer.getvalue()
    position = 8
    while True:
        (length,) = struct.unpack(">I", content[position : position + 4])
        kind = content[position + 4 : position + 8]
        if kind == b"IDAT":
            garbage = bytes(range(256)) * (length // 256 + 1)
            body = kind + garbage[:length]
            chunk = content[position : position + 4] + body
            chunk += struct.pack(">I", zlib.crc32(body))
            return content[:position] + chunk + content[position + 12 + length :]
        position += 12 + length


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """Two classes of real photo crops, with every kind of file that needs care."""
    root = tmp_path_factory.mktemp("photos")
    cats, rockets = root / "cats", root / "rockets"
    cats.mkdir()
    rockets.mkdir()
    cat, rocket = Image.fromarray(CAT), Image.fromarray(ROCKET)
    cat.save(cats / "rgb.jpg", quality=95)
    cat.save(cats / "rgb.png")
    cat.convert("L").save(cats / "gray.jpg", quality=95)
    cat.convert("L").save(cats / "gray.png")
    Image.fromarray(np.dstack([CAT, ALPHA]), "RGBA").save(cats / "rgba.png")
    cat.convert("CMYK").save(cats / "cmyk.jpg", quality=95)
    Image.fromarray(DEEP).save(cats / "deep.png")  # PIL mode "I;16": a 16-bit PNG
    Image.fromarray(np.dstack([CAT, ALPHA]), "RGBA").save(
        cats / "alpha.webp",
        lossless=True,
        exact=True,  # exact: keep colours under alpha 0
    )
    cat.save(cats / "moving.gif", save_all=True, append_images=[rocket])
    (cats / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (cats / "more").mkdir()
    cat.save(cats / "more" / "nested.jpg")

    rocket.save(rockets / "rgb.jpg", quality=95)
    rocket.save(rockets / "rgb.bmp")
    whole = (rockets / "rgb.jpg").read_bytes()
    (rockets / "truncated.jpg").write_bytes(whole[: len(whole) // 2])
    (rockets / "cut-late.jpg").write_bytes(whole[:-40])
    (rockets / "empty.jpg").write_bytes(b"")
    (rockets / "random.jpg").write_bytes(np.random.default_rng(0).bytes(3000))
    (rockets / "text.png").write_text("not a picture, despite the name\n")
    (rockets / "notes.txt").write_text("a note\n")
    png = (cats / "rgb.png").read_bytes()
    (rockets / "cut.png").write_bytes(png[: len(png) // 2])
    flipped = bytearray(png)
    flipped[len(png) // 2] ^= 0xFF
    (rockets / "flipped.png").write_bytes(bytes(flipped))
    (rockets / "scrambled.png").write_bytes(png_with_broken_data())

    rocket.save(root / "stray.jpg")
    (root / ".ipynb_checkpoints").mkdir()
    rocket.save(root / ".ipynb_checkpoints" / "rgb.jpg")
    return root


@pytest.fixture(scope="module")
def report(folder):
    return scan_image_folder(folder)


def by_name(issues, root: Path) -> dict[str, str]:
    return {issue.path.relative_to(root).as_posix(): issue.reason for issue in issues}


def load_all(folder, report, **options):
    dataset = make_folder_dataset(
        folder,
        image_size=SIZE,
        batch_size=64,
        shuffle=False,
        on_error="skip",
        report=report,
        **options,
    )
    images, labels = next(iter(dataset))
    return images.numpy(), labels.numpy()


def test_classes_and_labels_come_from_the_folders(folder, report):
    assert report.class_names == ("cats", "rockets")
    assert report.counts == (9, 2)
    for path, label in zip(report.paths, report.labels, strict=True):
        assert path.parent.name == report.class_names[label]
    names = {path.relative_to(folder).as_posix() for path in report.paths}
    assert "cats/more/nested.jpg" not in names
    assert "stray.jpg" not in names


SKIPPED = {
    "rockets/truncated.jpg": "truncated: the file ends inside the JPEG header",
    "rockets/cut-late.jpg": "truncated: the JPEG has no end-of-image marker",
    "rockets/empty.jpg": "empty file",
    "rockets/random.jpg": "match no image format",
    "rockets/text.png": "not an image: it starts with the text 'not a picture, d'",
    "rockets/notes.txt": "'.txt' is not one of",
    "rockets/cut.png": "truncated",
    "rockets/flipped.png": "fails its CRC check",
    "rockets/scrambled.png": "cannot be decoded: Invalid PNG data",
    "stray.jpg": "not in a class folder",
    "cats/more/nested.jpg": "nested inside class folder 'cats'",
}
CONVERTED = {
    "cats/gray.jpg": "grayscale",
    "cats/gray.png": "grayscale",
    "cats/rgba.png": "alpha channel dropped",
    "cats/alpha.webp": "alpha channel dropped",
    "cats/cmyk.jpg": "CMYK JPEG: converted to RGB",
    "cats/deep.png": "16-bit: decoded with all 16 bits",
    "cats/moving.gif": "only its first frame",
}


@pytest.mark.parametrize(("kind", "expected"), [("skipped", SKIPPED), ("converted", CONVERTED)])
def test_every_skipped_or_converted_file_is_reported_by_name_with_its_reason(
    folder, report, kind, expected
):
    reported = by_name(getattr(report, kind), folder)
    assert set(reported) == set(expected)
    for name, phrase in expected.items():
        assert phrase in reported[name], (name, reported[name])


def test_ignored_files_and_a_conversion_with_two_reasons(folder, report):
    assert set(by_name(report.ignored, folder)) == {".ipynb_checkpoints", "cats/.DS_Store"}
    assert "grayscale" in by_name(report.converted, folder)["cats/deep.png"]


def test_summary_lists_classes_and_every_issue(folder, report):
    text = report.summary()
    assert text.startswith(f"{folder.name}/: 2 classes, 11 images to use (7 converted)")
    assert "label 1: 'rockets', 2 images" in text
    for issue in report.issues:
        assert issue.path.relative_to(folder).as_posix() in text


def test_pixels_are_converted_correctly(report):
    images, labels = load_all(report.directory, report)
    assert images.shape == (11, SIZE, SIZE, 3) and images.dtype == np.float32
    assert images.min() >= 0.0 and images.max() <= 1.0
    pixels = {
        path.name if label == 0 else f"r-{path.name}": image
        for path, label, image in zip(report.paths, labels, images, strict=True)
    }
    # 16 bits kept: an 8-bit decode would round these levels to multiples of 257.
    np.testing.assert_allclose(
        pixels["deep.png"], np.repeat(DEEP[..., None] / 65535, 3, -1), atol=1e-6
    )
    # Grayscale copied to all three channels, equal to the stored grey.
    gray = pixels["gray.png"]
    np.testing.assert_array_equal(gray[..., 0], gray[..., 2])
    expected_gray = np.asarray(Image.fromarray(CAT).convert("L")) / 255
    np.testing.assert_allclose(gray[..., 1], expected_gray, atol=1e-6)
    # Alpha dropped: the colours stored under transparent pixels, not a background.
    np.testing.assert_allclose(pixels["rgba.png"], CAT / 255, atol=1e-6)
    np.testing.assert_allclose(pixels["alpha.webp"], CAT / 255, atol=1e-6)
    # CMYK back to about the original colours (JPEG loses a little either way).
    assert np.abs(pixels["cmyk.jpg"] - CAT / 255).mean() < 0.03
    assert np.abs(pixels["rgb.jpg"] - CAT / 255).mean() < 0.03
    # An animated GIF gives its first frame (the cat), in its palette's colours.
    with Image.open(report.directory / "cats" / "moving.gif") as gif:
        first_frame = np.asarray(gif.convert("RGB"))
    np.testing.assert_allclose(pixels["moving.gif"], first_frame / 255, atol=1e-6)
    np.testing.assert_allclose(pixels["r-rgb.bmp"], ROCKET / 255, atol=1e-6)


def test_raise_lists_every_bad_file_before_training(folder, report):
    with pytest.raises(ImageFolderError, match="11 file") as caught:
        make_folder_dataset(folder, image_size=SIZE, batch_size=4, report=report)
    assert str(caught.value).startswith(f"11 file(s) in `{folder.name}/` cannot be used")
    for issue in report.skipped:
        assert f"\n  {report.name(issue.path)}: {issue.reason}" in str(caught.value)
    assert caught.value.report is report


def test_skip_without_a_report_warns_with_names(folder):
    with pytest.warns(UserWarning, match="11 file.*skipped.*cats/more/nested.jpg"):
        dataset = make_folder_dataset(folder, image_size=8, batch_size=4, on_error="skip")
    assert sum(int(labels.shape[0]) for _, labels in dataset) == 11


def test_verify_is_what_keeps_undecodable_files_out_of_training(folder):
    quick = scan_image_folder(folder, verify=False)
    assert "scrambled.png" in {path.name for path in quick.paths}
    dataset = make_folder_dataset(
        folder, image_size=8, batch_size=64, shuffle=False, on_error="skip", report=quick
    )
    with pytest.raises(tf.errors.InvalidArgumentError):
        list(dataset)


def test_matches_keras_image_dataset_from_directory(tmp_path):
    rng = np.random.default_rng(0)
    photo = skdata.astronaut()
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        for index in range(3):
            row, col = rng.integers(0, 400, size=2)
            size = int(rng.integers(40, 90))
            Image.fromarray(photo[row : row + size, col : col + size]).save(
                tmp_path / name / f"{index}.jpg"
            )
    report = scan_image_folder(tmp_path)
    unit, same = (
        make_folder_dataset(
            tmp_path,
            image_size=(24, 20),
            batch_size=4,
            shuffle=False,
            report=report,
            value_range=value_range,
        )
        for value_range in [(0, 1), (0, 255)]
    )
    theirs = keras.utils.image_dataset_from_directory(
        tmp_path, image_size=(24, 20), batch_size=4, shuffle=False, verbose=False
    )
    for (x, y), (x_255, y_255), (x_keras, y_keras) in zip(unit, same, theirs, strict=True):
        # value_range=(0, 255) is Keras's output exactly: the same decode and resize, no scaling.
        np.testing.assert_array_equal(x_255.numpy(), x_keras.numpy())
        np.testing.assert_allclose(x.numpy() * 255, x_keras.numpy(), atol=1e-3)
        np.testing.assert_array_equal(y.numpy(), y_keras.numpy())
        np.testing.assert_array_equal(y_255.numpy(), y_keras.numpy())


def test_value_range_maps_black_and_white_for_8_and_16_bit_images(tmp_path):
    (tmp_path / "a").mkdir()
    levels = np.array([[0, 21845, 65535, 65535]], np.uint16).repeat(4, 0)  # 0, 1/3, 1, 1
    Image.fromarray(levels).save(tmp_path / "a" / "deep.png")
    Image.fromarray((levels // 257).astype(np.uint8)).save(tmp_path / "a" / "flat.png")
    report = scan_image_folder(tmp_path)
    expected = np.array([0, 1 / 3, 1, 1])
    for low, high in [(0, 1), (0, 255), (-1, 1), (0.5, 2)]:
        dataset = make_folder_dataset(
            tmp_path,
            image_size=(4, 4),
            batch_size=2,
            shuffle=False,
            report=report,
            interpolation="nearest",
            value_range=(low, high),
        )
        images, _ = next(iter(dataset))
        assert images.dtype == tf.float32
        for image in images.numpy():
            np.testing.assert_allclose(image[0, :, 0], low + (high - low) * expected, rtol=1e-6)


def test_class_names_keep_labels_across_folders(tmp_path):
    for name in ("b", "c"):
        (tmp_path / name).mkdir()
        Image.fromarray(CAT).save(tmp_path / name / "x.png")
    found = scan_image_folder(tmp_path, class_names=["a", "b"])
    assert found.class_names == ("a", "b")
    assert found.labels == (1,) and found.counts == (0, 1)
    assert "is not one of `class_names`" in by_name(found.skipped, tmp_path)["c/x.png"]


def test_shuffle_cache_and_augment(tmp_path):
    for name in ("a", "b", "c"):
        (tmp_path / name).mkdir()
        for index in range(4):
            Image.fromarray(np.roll(CAT, 3 * index, axis=1)).save(tmp_path / name / f"{index}.png")
    keras.utils.set_random_seed(0)
    flip = keras.layers.RandomFlip("horizontal", seed=1)

    def epochs(**options):
        dataset = make_folder_dataset(tmp_path, image_size=16, batch_size=12, **options)
        return [next(iter(dataset)) for _ in range(2)]

    (x1, y1), (_, y2) = epochs(cache=True, augment=flip)
    assert not np.array_equal(y1.numpy(), y2.numpy())  # reshuffled after the cache
    assert sorted(y1.numpy().tolist()) == [0] * 4 + [1] * 4 + [2] * 4
    assert not np.array_equal(np.sort(x1.numpy(), axis=None), x1.numpy().ravel())
    (u1, v1), _ = epochs(seed=3)
    (u2, v2), _ = epochs(seed=3)
    np.testing.assert_array_equal(v1.numpy(), v2.numpy())
    np.testing.assert_array_equal(u1.numpy(), u2.numpy())
    on_disk = epochs(cache=str(tmp_path / "cache"), shuffle=False)
    np.testing.assert_array_equal(on_disk[0][0].numpy(), on_disk[1][0].numpy())


def test_make_batches_stages():
    images, labels = load_digits_images()
    examples = tf.data.Dataset.from_tensor_slices((images[:100], labels[:100]))
    calls = []

    def augment(batch):
        calls.append(batch.shape)
        return 1.0 - batch

    batches = make_batches(examples, batch_size=30, shuffle=False, augment=augment, cache=True)
    x, y = next(iter(batches))
    np.testing.assert_allclose(x.numpy(), 1.0 - images[:30])
    np.testing.assert_array_equal(y.numpy(), labels[:30])
    assert calls and calls[0].rank == 4  # augment sees whole batches
    dropped = make_batches(examples, batch_size=30, shuffle=False, drop_remainder=True)
    assert [int(x.shape[0]) for x, _ in dropped] == [30, 30, 30]
    with pytest.raises(ValueError, match="`shuffle_buffer` must be given"):
        make_batches(examples.filter(lambda x, y: y > 0), batch_size=4)
    filtered = make_batches(examples.filter(lambda x, y: y > 0), batch_size=4, shuffle_buffer=8)
    assert all(int(y.numpy().min()) > 0 for _, y in filtered)
    arrays = make_dataset(images[:10], labels[:10], batch_size=5, shuffle=False, augment=augment)
    np.testing.assert_allclose(next(iter(arrays))[0].numpy(), 1.0 - images[:5])


def test_argument_errors(folder, report, tmp_path):
    def build(**options):
        arguments = {"image_size": 8, "batch_size": 4, "report": report, "on_error": "skip"}
        make_folder_dataset(folder, **{**arguments, **options})

    with pytest.raises(ValueError, match="`image_size` must be a positive integer or a"):
        build(image_size=0)
    with pytest.raises(ValueError, match="`image_size` must be"):
        build(image_size=(8, 8, 3))
    with pytest.raises(TypeError, match="`image_size` must be"):
        build(image_size="8")
    for absurd in (10**9, (8, 2**40), 16385):
        with pytest.raises(ValueError, match=r"`image_size` must be .* each at most 16384"):
            build(image_size=absurd)
    with pytest.raises(ValueError, match="`max_file_bytes` must be a positive integer"):
        scan_image_folder(folder, max_file_bytes=0)
    with pytest.raises(ValueError, match="`batch_size` must be a positive integer"):
        build(batch_size=0)
    with pytest.raises(ValueError, match="`interpolation` must be one of"):
        build(interpolation="cubic")
    with pytest.raises(ValueError, match="`on_error` must be one of"):
        build(on_error="ignore")
    for bad in [(1, 0), (0, float("inf")), (0,), "01", (0, True)]:
        with pytest.raises(ValueError, match="`value_range` must be a pair of finite numbers"):
            build(value_range=bad)
    with pytest.raises(TypeError, match="`cache` must be True, False or a file name"):
        build(cache=3)
    with pytest.raises(TypeError, match="`augment` must be a function"):
        build(augment="flip")
    with pytest.raises(ValueError, match="`report` must describe `directory`"):
        build(report=scan_image_folder(folder / "cats", verify=False))
    with pytest.raises(TypeError, match=r"`examples` must be a tf\.data\.Dataset"):
        make_batches([1, 2], batch_size=2)
    with pytest.raises(TypeError, match="`extensions` must be a list"):
        scan_image_folder(folder, extensions=".jpg")
    with pytest.raises(ValueError, match="must be file endings that start with a dot"):
        scan_image_folder(folder, extensions=[".jpg", "png"])
    with pytest.raises(ValueError, match="`class_names` must be a list of distinct"):
        scan_image_folder(folder, class_names=["cats", "cats"])
    with pytest.raises(FileNotFoundError, match="must be an existing folder"):
        scan_image_folder(tmp_path / "missing")
    with pytest.raises(NotADirectoryError, match="must be a folder"):
        scan_image_folder(folder / "stray.jpg")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="at least one usable image"):
        make_folder_dataset(tmp_path / "empty", image_size=8, batch_size=2)


def test_augmented_runs_repeat_exactly_and_overshooting_filters_are_clipped(tmp_path):
    (tmp_path / "a").mkdir()
    for index in range(6):
        Image.fromarray(np.roll(ROCKET, 5 * index, axis=0)).save(tmp_path / "a" / f"{index}.png")
    report = scan_image_folder(tmp_path)

    def first_batches(**options):
        keras.utils.set_random_seed(0)
        rotate = keras.layers.RandomRotation(0.2, seed=4)
        dataset = make_folder_dataset(
            tmp_path, image_size=24, batch_size=2, augment=rotate, report=report, **options
        )
        return np.concatenate([x.numpy() for x, _ in dataset])

    np.testing.assert_array_equal(first_batches(), first_batches())
    assert first_batches(deterministic=False).shape == (6, 24, 24, 3)
    sharp = make_folder_dataset(
        tmp_path, image_size=70, batch_size=6, interpolation="lanczos5", report=report
    )
    images = next(iter(sharp))[0].numpy()
    assert images.min() >= 0.0 and images.max() <= 1.0


# Hostile folders: special files, huge files, odd names, unreadable folders ------------------


def one_class(tmp_path: Path) -> Path:
    (tmp_path / "cls").mkdir()
    Image.fromarray(CAT).save(tmp_path / "cls" / "good.png")
    return tmp_path / "cls"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_named_pipe_in_a_class_folder_is_skipped_not_read(tmp_path):
    fifo = one_class(tmp_path) / "pipe.jpg"
    os.mkfifo(fifo)
    found = call_with_timeout(scan_image_folder, tmp_path, seconds=60, fifo=fifo)
    assert [path.name for path in found.paths] == ["good.png"]
    assert by_name(found.skipped, tmp_path) == {
        "cls/pipe.jpg": "not a regular file: it is a named pipe (FIFO), which is not read"
    }


DEV_ZERO_SCRIPT = """
import resource, sys
from pathlib import Path
from dlcv.data import scan_image_folder
# Were /dev/zero read, it would be read until memory ran out: cap this process well short.
pages = int(Path("/proc/self/statm").read_text().split()[0])
limit = pages * resource.getpagesize() + (2 << 30)
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
found = scan_image_folder(sys.argv[1], verify=False)
print([str(issue) for issue in found.skipped])
"""


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="needs Linux's /proc")
def test_link_to_dev_zero_is_skipped_not_read_until_memory_runs_out(tmp_path):
    (one_class(tmp_path) / "zero.jpg").symlink_to("/dev/zero")
    result = run_apart(DEV_ZERO_SCRIPT, str(tmp_path))
    assert result.returncode == 0, result.stderr[-2000:]
    assert "zero.jpg`: not a regular file: it is a character device" in result.stdout


def test_file_over_the_size_cap_is_skipped_unread(tmp_path):
    folder = one_class(tmp_path)
    size = (folder / "good.png").stat().st_size
    Image.fromarray(np.tile(CAT, (8, 8, 1))).save(folder / "big.png")
    found = scan_image_folder(tmp_path, max_file_bytes=size)
    assert [path.name for path in found.paths] == ["good.png"]
    (reason,) = by_name(found.skipped, tmp_path).values()
    assert reason.startswith("too large: ") and f"{size:,} bytes allowed" in reason


def test_non_utf8_file_name_is_used_and_printed(tmp_path):
    folder = one_class(tmp_path)
    name = os.fsdecode(b"r\xe9sum\xe9.png")  # Latin-1, not UTF-8
    try:
        Image.fromarray(ROCKET).save(folder / name)
    except (OSError, UnicodeError):
        pytest.skip("this file system only takes valid Unicode names")
    (folder / os.fsdecode(b"\xff\xfe.jpg")).write_bytes(b"")
    found = scan_image_folder(tmp_path)
    assert sorted(path.name for path in found.paths) == sorted(["good.png", name])
    summary = found.summary()
    summary.encode("utf-8")  # printable: no lone surrogates
    assert "cls/\\xff\\xfe.jpg: empty file" in summary
    dataset = make_folder_dataset(
        tmp_path, image_size=8, batch_size=4, report=found, on_error="skip"
    )
    images, _ = next(iter(dataset))
    assert images.shape == (2, 8, 8, 3)


def test_unreadable_class_folder_is_skipped_by_name(tmp_path, monkeypatch):
    one_class(tmp_path)
    (tmp_path / "locked").mkdir()
    Image.fromarray(ROCKET).save(tmp_path / "locked" / "rocket.png")
    real_scandir = os.scandir

    def scandir(path):
        # Root ignores permission bits, so the refusal is simulated where it happens.
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    found = scan_image_folder(tmp_path)
    assert found.class_names == ("cls", "locked")
    assert found.counts == (1, 0)
    reason = by_name(found.skipped, tmp_path)["locked"]
    assert reason.startswith("unreadable folder (Permission denied)")


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads any folder")
def test_folder_without_read_permission_is_skipped_by_name(tmp_path):
    one_class(tmp_path)
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked").chmod(0)
    try:
        found = scan_image_folder(tmp_path)
    finally:
        (tmp_path / "locked").chmod(0o755)
    assert "locked" in by_name(found.skipped, tmp_path)


def _corpus() -> dict[str, bytes]:
    """Damaged image files, by name, each of which must be skipped with a reason."""
    encoded = {}
    for kind in ("PNG", "JPEG", "GIF", "BMP", "WEBP"):
        buffer = io.BytesIO()
        Image.fromarray(CAT).save(buffer, kind)
        encoded[kind] = buffer.getvalue()
    png_bytes, jpeg_bytes = encoded["PNG"], encoded["JPEG"]
    return {
        "zero-byte.png": b"",
        "truncated.png": png_bytes[: len(png_bytes) // 3],
        "truncated.jpg": jpeg_bytes[: len(jpeg_bytes) // 3],
        "no-end-marker.jpg": jpeg_bytes[:-2],
        **{
            f"truncated.{kind.lower()}": content[: len(content) // 2]
            for kind, content in encoded.items()
            if kind in ("GIF", "BMP", "WEBP")
        },
        "header-only.jpg": jpeg_bytes[:3],
        "signature-only.png": png_bytes[:8],
        "garbage.jpg": bytes(range(7, 256)) * 3,
        "text.gif": b"GIF89a but then nothing an image needs",
        "png-named.txt": png_bytes,  # a sound image with the wrong extension
    }


CORPUS = sorted(_corpus())


@pytest.fixture(scope="module")
def damaged(tmp_path_factory):
    root = tmp_path_factory.mktemp("damaged")
    (root / "cls").mkdir()
    Image.fromarray(CAT).save(root / "cls" / "good.png")
    for name, content in _corpus().items():
        (root / "cls" / name).write_bytes(content)
    return root, scan_image_folder(root)


@pytest.mark.parametrize("name", CORPUS)
def test_damaged_image_is_skipped_by_name_never_silent(damaged, name):
    root, found = damaged
    assert [path.name for path in found.paths] == ["good.png"]
    reasons = by_name(found.skipped, root)
    assert reasons[f"cls/{name}"]
    with pytest.raises(ImageFolderError, match=rf"cls/{name}: "):
        make_folder_dataset(root, image_size=8, batch_size=2, report=found)


def test_cut_jpeg_is_found_whatever_pillow_is_told_about_truncated_files(tmp_path, monkeypatch):
    # Pillow's own check of a JPEG's end gives way under this process-wide setting, which
    # training scripts often turn on; the scan's does not.
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    folder = one_class(tmp_path)
    jpeg = io.BytesIO()
    Image.fromarray(CAT).save(jpeg, "JPEG")
    (folder / "cut.jpg").write_bytes(jpeg.getvalue()[:-2])
    found = scan_image_folder(tmp_path, verify=False)
    assert by_name(found.skipped, tmp_path) == {
        "cls/cut.jpg": "truncated: the JPEG has no end-of-image marker (the file was cut off)"
    }


def test_image_over_pillows_pixel_limit_is_skipped_and_the_limit_left_alone(tmp_path, monkeypatch):
    # 32 x 32 = 1,024 pixels; a limit of 1,000 makes every test image a decompression bomb.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    folder = one_class(tmp_path)
    Image.fromarray(ROCKET).save(folder / "bomb.jpg")
    Image.new("RGB", (40, 25)).save(folder / "small.png")  # exactly 1,000 pixels
    found = scan_image_folder(tmp_path)  # a warning would fail the test (filterwarnings)
    assert [path.name for path in found.paths] == ["small.png"]
    reasons = by_name(found.skipped, tmp_path)
    assert set(reasons) == {"cls/bomb.jpg", "cls/good.png"}
    assert reasons["cls/bomb.jpg"].startswith("too large: 32 x 32 pixels, more than the 1,000")
    assert Image.MAX_IMAGE_PIXELS == 1000
