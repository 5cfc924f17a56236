"""dlcv: the tested TensorFlow/Keras code behind the dlcv knowledge base.

Every public name is importable from the top level (``dlcv.train``,
``dlcv.pick_strategy``…). Submodules load on first use, so ``python -m dlcv.bench`` runs
its module once, cleanly. ``dlcv.scratch`` (layers written from tensor operations, for
teaching) stays namespaced.
"""

from __future__ import annotations

import importlib.metadata

import lazy_loader

# The installed distribution's version, which setuptools-scm took from the git tag at
# build time. A checkout imported without installing it has no such record: it says
# so rather than guess.
_DISTRIBUTION = "dlcv-kb"
try:
    __version__ = importlib.metadata.version(_DISTRIBUTION)
except importlib.metadata.PackageNotFoundError:
    __version__ = "0.0.0+unknown"

# The public names and their modules are listed once, in __init__.pyi (which type
# checkers read); lazy_loader reads them from there and imports a module on first use.
__getattr__, _, __all__ = lazy_loader.attach_stub(__name__, __file__)
__all__ = sorted([*__all__, "__version__"])
del _


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
