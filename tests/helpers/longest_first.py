"""The test files that take longest, longest first.

Per-file wall time measured with `make test` on a 2-core machine: about 100 to 130 s for the
first, 25 s for the last. `make test` hands whole files to its workers (`--dist loadfile`) in
collection order (`--no-loadscope-reorder`), and tests/conftest.py collects these first, so the
long ones start first and the many short files fill the end: otherwise a long file handed out
last keeps one worker busy while the other sits idle. tests/site/test_layout.py checks that
each file exists.
"""

LONGEST_FIRST = (
    "tests/dlcv/test_training.py",
    "tests/site/test_browser.py",
    "tests/site/test_snippets.py",
    "tests/site/test_scaffold.py",
    "tests/site/test_pages.py",
    "tests/site/test_site.py",
    "tests/dlcv/test_data_shards.py",
    "tests/dlcv/test_api.py",
)
