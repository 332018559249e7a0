"""Start-up speed for notebook kernels and report runners: call `skip_slow_iri_checker()` first,
before anything imports Altair, nbformat or papermill (it changes how jsonschema loads, so it is
an explicit call, never an import side effect).

`jsonschema` (imported by Altair, nbformat, papermill and nbconvert) eagerly imports
`rfc3987_syntax`, which compiles ~35 Earley grammars at import: 2-4 s on this machine, paid by
every report kernel and sweep point (python-jsonschema/jsonschema#1428,
opendatahub-io/notebooks#3532). Nothing here validates `iri` formats, so we let jsonschema
import without that optional checker.
"""

from __future__ import annotations

import sys


def skip_slow_iri_checker() -> None:
    """Import jsonschema without its optional `iri`/`iri-reference` format checker.

    Harmless if jsonschema is already imported (then it is too late and nothing changes). The
    block is lifted right after, so code that imports `rfc3987_syntax` itself still can.
    """
    if "jsonschema" in sys.modules or "rfc3987_syntax" in sys.modules:
        return
    sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]  # import -> ImportError
    try:
        import jsonschema  # noqa: F401  - decides its format checkers now
    except ImportError:  # jsonschema not installed: nothing to speed up
        pass
    finally:
        del sys.modules["rfc3987_syntax"]
