"""The Python-Markdown extension that registers a single processor, which is what
``sitetools.frontdoor`` and ``sitetools.output_tables`` each are.

A subclass names the processor class, the stage of Markdown's pipeline it joins
(``"preprocessors"`` on the Markdown source, ``"postprocessors"`` on the HTML), the name it
is registered under and its priority in that stage (higher runs first). Python-Markdown
loads an extension listed in mkdocs.yml by calling its module's ``makeExtension(**config)``,
so such a module binds ``makeExtension`` to its subclass.
"""

from __future__ import annotations

from typing import Any, ClassVar

from markdown import Extension, Markdown  # type: ignore[import-untyped]


class OneProcessorExtension(Extension):  # type: ignore[misc]  # Markdown is untyped
    """Registers ``processor(md)`` in ``md.<stage>`` as ``registered_name`` at ``priority``."""

    processor: ClassVar[type[Any]]
    stage: ClassVar[str]
    registered_name: ClassVar[str]
    priority: ClassVar[int]

    def extendMarkdown(self, md: Markdown) -> None:
        md.registerExtension(self)
        stage = getattr(md, self.stage)
        stage.register(self.processor(md), self.registered_name, self.priority)
