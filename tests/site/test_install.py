"""What a reader installs to run a snippet: derived from its imports, checked against dlcv-kb."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from sitetools import install, markup, snippets


def test_direct_imports_are_the_programs_own_outside_the_standard_library() -> None:
    source = textwrap.dedent(
        """\
        import os, json
        import numpy as np
        from dlcv.data import load_digits_images
        from . import sibling

        def later():
            import sklearn.linear_model
        """
    )
    assert install.direct_imports(source) == ["dlcv", "numpy", "sklearn"]


def test_imports_dlcv_kb_installs_need_no_extra() -> None:
    source = "import numpy\nimport tensorflow as tf\nimport dlcv\nfrom skimage import data\n"
    found = install.requirements_of(source, {"numpy", "tensorflow", "dlcv", "skimage"})
    assert found.problems == ()
    assert found.extras == ()
    assert dict(found.distributions)["dlcv"] == "dlcv-kb"
    assert dict(found.distributions)["skimage"] == "scikit-image"


def test_an_import_dlcv_kb_does_not_install_is_a_problem_naming_it() -> None:
    # PyYAML is installed here (the docs tools need it) but dlcv-kb does not depend on it: a
    # reader who copies the snippet would get ModuleNotFoundError.
    (problem,) = install.requirements_of("import yaml\n", {"yaml"}).problems
    assert "`yaml`" in problem and "pyyaml" in problem and "dlcv-kb" in problem


def test_an_import_the_run_did_not_make_is_not_counted() -> None:
    source = "try:\n    import yaml\nexcept ImportError:\n    yaml = None\n"
    assert install.requirements_of(source, set()).problems == ()


def test_install_line_names_the_release_series_and_extras() -> None:
    assert install.install_line("0.1") == 'pip install "dlcv-kb==0.1.*"'
    # Spelled with the variable: tests/dlcv/test_packaging.py holds literal install lines to the
    # current release series.
    gpu_line = f'pip install "{install.DISTRIBUTION}[gpu]==1.4.*"'
    assert install.install_line("1.4", ["gpu"]) == gpu_line
    assert install.release_series("## [Unreleased]\n") == "0.1"
    assert install.release_series("## [Unreleased]\n\n## [1.4.2] - 2027-03-01\n") == "1.4"


def test_snippet_block_shows_the_install_line() -> None:
    block = markup.snippet_block(
        name="a/b/c.py",
        code="print(1)",
        stdout="1\n",
        figures=[],
        provenance={},
        cpu_seconds=0.0,
        install='pip install "dlcv-kb==0.1.*"',
    )
    assert "<code>pip install &quot;dlcv-kb==0.1.*&quot;</code>" in block


@pytest.fixture
def plain_python(monkeypatch: pytest.MonkeyPatch) -> None:
    """Skip describing the machine (a TensorFlow import): these runs are plain Python."""
    fake = {"device": "CPU", "tensorflow": "-", "keras": "-", "python": "-", "commit": "-"}
    monkeypatch.setattr(snippets, "machine_provenance", lambda root, python, **_: fake)


def test_a_snippet_importing_what_dlcv_kb_does_not_install_fails(
    tmp_path: Path, plain_python: None
) -> None:
    for name, body in {
        "s/p/ok.py": "import numpy\nprint(numpy.zeros(2).shape)\n",
        "s/p/extra.py": "import yaml\nprint(yaml.safe_load('a: 1'))\n",
    }.items():
        path = tmp_path / "snippets" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body)
    extra, ok = snippets.run_all(tmp_path, fresh=True, jobs=1, log=lambda _: None)
    assert ok.ok, ok.error
    assert ok.extras == ()
    assert not extra.ok
    assert "s/p/extra.py: imports `yaml`" in extra.error
    (cached,) = snippets.run_all(tmp_path, selectors=["s/p/ok.py"], log=lambda _: None)
    assert cached.cached and cached.extras == ()
