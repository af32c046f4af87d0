"""TensorFlow.js, the runtime a browser trains with: which npm files, pinned by hash, and where this server keeps
them (``server/tfjs.py`` fetches them; the HTTP routes serve them; the Train page offers the browser only when
they are here). Keras-free, so the server's routes import it without loading TensorFlow.
"""

from __future__ import annotations

from pathlib import Path

TFJS_VERSION = "4.22.0"
TFJS_FOLDER = Path(__file__).resolve().parents[2] / "vendor" / f"tfjs-{TFJS_VERSION}"
# npm package -> (its sha512 integrity in the registry, the files of its dist/ the browser loads)
TFJS_PACKAGES = {
    "@tensorflow/tfjs": (
        "sha512-0TrIrXs6/b7FLhLVNmfh8Sah6JgjBPH4mZ8JGb7NU6WW+cx00qK5BcAZxw7NCzxj6N8MRAIfHq+oNbPUNG5VAg==",
        ("tf.min.js",),
    ),
    "@tensorflow/tfjs-backend-wasm": (
        "sha512-/IYhReRIp4jg/wYW0OwbbJZG8ON87mbz0PgkiP3CdcACRSvUN0h8rvC0O3YcDtkTQtFWF/tcXq/KlVDyV49wmA==",
        ("tf-backend-wasm.min.js", "tfjs-backend-wasm.wasm", "tfjs-backend-wasm-simd.wasm"),
    ),
}
TFJS_FILES = tuple(name for _, names in TFJS_PACKAGES.values() for name in names)


def runtime_installed() -> bool:
    """Whether this server has TensorFlow.js to hand to browsers (without it, training happens here only)."""
    return all((TFJS_FOLDER / name).is_file() for name in TFJS_FILES)


def url_root(base_url_path: str) -> str:
    """Where the app's own HTTP routes live: "" at the root, "/studio" for ``server.baseUrlPath = "studio"`` (a school's
    reverse proxy at /studio/). The pages and the routes both take it from Streamlit's setting."""
    path = base_url_path.strip("/")
    return f"/{path}" if path else ""
