"""Builds the SDK stand-in scripts from static/sdk/*.js: a classic script and an ES module, no build tool.

The parts are plain scripts sharing one function scope; the wrapper only adds how the script finds its
own URL (document.currentScript for the classic script, import.meta.url for the module).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SDK_DIR = Path(__file__).parent / "static" / "sdk"
PARTS = ("core.js", "signalling.js", "mesh.js", "playback.js", "stats.js", "toolbar.js", "consent.js", "client.js")


@dataclass(frozen=True)
class SdkBundle:
    classic: str
    module: str


def build_bundle(directory: Path = SDK_DIR) -> SdkBundle:
    body = "\n".join(f"// ---- {name}\n" + (directory / name).read_text(encoding="utf-8") for name in PARTS)
    header = "// avatarfarm fakes/zoom: stand-in for @zoom/meetingsdk 6.2.0 Component View (ZoomMtgEmbedded).\n"
    classic = (
        header
        + "(function () {\n'use strict';\n"
        + "if (window.ZoomMtgEmbedded && window.ZoomMtgEmbedded.__fakeZoom) return;\n"
        + "const SCRIPT_URL = (document.currentScript && document.currentScript.src) || location.href;\n"
        + body
        + "\nObject.defineProperty(ZoomMtgEmbedded, '__fakeZoom', { value: true });\n})();\n"
    )
    module = (
        header
        + "const SCRIPT_URL = import.meta.url;\n"
        + "if (!(window.ZoomMtgEmbedded && window.ZoomMtgEmbedded.__fakeZoom)) {\n"
        + body
        + "\nObject.defineProperty(ZoomMtgEmbedded, '__fakeZoom', { value: true });\n}\n"
        + "export default window.ZoomMtgEmbedded;\n"
    )
    return SdkBundle(classic=classic, module=module)
