"""What the benchmarks with a target share: their results as JSON, and their exit status.

`folder_pipeline.py` and `streaming_vs_memory.py` import it from beside them: running a script
puts its folder first on `sys.path`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def finish(result: dict[str, Any], *, passed: bool, json_path: Path | None) -> int:
    """Write `result` and `passed` to `json_path` as JSON when a path is given (`--json`), and
    return the script's exit status: 0 when the target was met, else 1."""
    if json_path is not None:
        text = json.dumps({**result, "passed": passed}, indent=1)
        json_path.write_text(text, encoding="utf-8")
    return 0 if passed else 1
