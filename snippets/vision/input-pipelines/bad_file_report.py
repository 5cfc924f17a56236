"""Scan a folder of photos that holds every kind of file needing care, and read the
report."""

import tempfile
from pathlib import Path

import keras
import numpy as np
from PIL import Image
from skimage import data

from dlcv.data import ImageFolderError, make_folder_dataset, scan_image_folder

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)
workspace = tempfile.TemporaryDirectory()
root = Path(workspace.name) / "photos"


def crops(photo: np.ndarray, count: int, side: int) -> list[Image.Image]:
    """`count` random square crops of `side` pixels from a photo."""
    rows = rng.integers(0, photo.shape[0] - side, count)
    cols = rng.integers(0, photo.shape[1] - side, count)
    return [
        Image.fromarray(photo[r : r + side, c : c + side])
        for r, c in zip(rows, cols, strict=True)
    ]


cat, rocket = root / "cat", root / "rocket"
cat.mkdir(parents=True)
rocket.mkdir()
for index, image in enumerate(crops(data.chelsea(), 3, 160)):
    image.save(cat / f"cat-{index}.jpg")
for index, image in enumerate(crops(data.rocket(), 3, 160)):
    image.save(rocket / f"rocket-{index}.jpg")

# Files that can be used after a conversion.
photo = crops(data.chelsea(), 1, 160)[0]
photo.convert("L").save(cat / "gray.jpg")
photo.convert("CMYK").save(cat / "cmyk.jpg")
transparent = photo.convert("RGBA")
transparent.putalpha(Image.new("L", photo.size, 128))
transparent.save(cat / "half-transparent.png")
# 16-bit grey levels: the camera photo's 256 levels, each split into 256 finer ones.
camera = data.camera()[:160, :160].astype(np.uint16) * 256
camera += rng.integers(0, 256, camera.shape, dtype=np.uint16)
Image.fromarray(camera).save(cat / "16-bit.png")

# Files that cannot.
launch = rocket / "rocket-0.jpg"
(rocket / "cut-off.jpg").write_bytes(launch.read_bytes()[: launch.stat().st_size // 2])
(rocket / "empty.jpg").write_bytes(b"")
(rocket / "noise.jpg").write_bytes(rng.bytes(5000))
(rocket / "caption.png").write_text("A rocket on the launch pad.\n")
(rocket / "notes.txt").write_text("shot list\n")
(rocket / "old").mkdir()
Image.open(launch).save(rocket / "old" / "launch.jpg")
Image.open(launch).save(root / "unsorted.jpg")
(cat / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")

report = scan_image_folder(root)
print(report.summary())

try:
    make_folder_dataset(root, image_size=96, batch_size=8, report=report)
except ImageFolderError as error:
    print(f"\n{type(error).__name__}: {error}")

dataset = make_folder_dataset(
    root, image_size=160, batch_size=16, shuffle=False, on_error="skip", report=report
)
images, labels = next(iter(dataset))
print(
    f"\nbatch: {tuple(images.shape)} {images.dtype.name}, values in [0, 1]: "
    f"{bool(images.numpy().min() >= 0 and images.numpy().max() <= 1)}"
)
print("labels:", labels.numpy().tolist())
deep = images[report.paths.index(cat / "16-bit.png")].numpy()
print(
    f"16-bit PNG at its own size: {len(np.unique(deep)):,} distinct grey levels (8 "
    f"bits would allow 256), channels equal: "
    f"{bool(np.all(deep[..., 0] == deep[..., 2]))}"
)
workspace.cleanup()
