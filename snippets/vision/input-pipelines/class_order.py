"""Labels come from the sorted folder names: a validation folder that lacks a class
shifts them."""

import tempfile
from pathlib import Path

import numpy as np
from PIL import Image
from skimage import data

from dlcv.data import scan_image_folder

rng = np.random.default_rng(0)
workspace = tempfile.TemporaryDirectory()
photos = {"cat": data.chelsea(), "coffee": data.coffee(), "rocket": data.rocket()}


def write(folder: Path, names: list[str]) -> None:
    """Two 64-pixel crops of each named photo, one class folder each."""
    for name in names:
        (folder / name).mkdir(parents=True)
        for index in range(2):
            row, col = rng.integers(0, 250, size=2)
            crop = photos[name][row : row + 64, col : col + 64]
            Image.fromarray(crop).save(folder / name / f"{index}.jpg")


train, validation = Path(workspace.name) / "train", Path(workspace.name) / "validation"
write(train, ["cat", "coffee", "rocket"])
write(validation, ["cat", "rocket"])  # no coffee photos were set aside

# --8<-- [start:labels]
train_report = scan_image_folder(train)
inferred = scan_image_folder(validation)
aligned = scan_image_folder(validation, class_names=train_report.class_names)
for title, report in (
    ("train", train_report),
    ("validation, inferred", inferred),
    ("validation, class_names", aligned),
):
    names = {report.class_names[label] for label in report.labels}
    mapping = ", ".join(
        f"{name} -> {report.class_names.index(name)}" for name in sorted(names)
    )
    print(f"{title:>24}: {mapping}")
# --8<-- [end:labels]
workspace.cleanup()
