"""TensorFlow.js for training in the browser: installed with the app, served by the app (never from a CDN).

The files come from npm's own packages (``@tensorflow/tfjs`` and ``@tensorflow/tfjs-backend-wasm``, 4.22.0),
fetched from the npm registry as the tarballs npm itself downloads and checked against the integrity hashes
in ``core.training.browser_runtime`` (npm's lock-file pins). ``make setup`` runs ``python -m server.tfjs`` once; the server's warm-up
(``server.warm``) does the same when the files are missing, which is how Streamlit Community Cloud gets them
(it installs only ``requirements.txt`` and ``packages.txt``, and keeps no files across restarts). After that,
browsers load everything from this server, so an offline school network works.

No Streamlit here: the warm-up and the command line use it before any page runs.
"""

from __future__ import annotations

import base64
import hashlib
import io
import logging
import sys
import tarfile
import tempfile
import urllib.request
from pathlib import Path

from core.training.browser_runtime import TFJS_FILES, TFJS_FOLDER, TFJS_PACKAGES, TFJS_VERSION, runtime_installed

VERSION, FOLDER, PACKAGES, FILES = TFJS_VERSION, TFJS_FOLDER, TFJS_PACKAGES, TFJS_FILES
REGISTRY = "https://registry.npmjs.org"
CONTENT_TYPES = {".js": "text/javascript", ".wasm": "application/wasm"}
LOGGER = logging.getLogger("fashion_studio.browser_runtime")


class RuntimeMissing(RuntimeError):
    """TensorFlow.js is not installed here and could not be fetched; the message says what to run."""


installed = runtime_installed


def _tarball_url(package: str) -> str:
    return f"{REGISTRY}/{package}/-/{package.split('/')[-1]}-{VERSION}.tgz"


def _verified(package: str, body: bytes, integrity: str) -> bytes:
    algorithm, expected = integrity.split("-", 1)
    if base64.b64encode(hashlib.new(algorithm, body).digest()).decode() != expected:
        raise RuntimeMissing(f"{package} {VERSION} from {REGISTRY} does not match its pinned hash; nothing installed.")
    return body


def install(timeout: float = 30.0) -> Path:
    """Fetch and unpack the pinned files into ``FOLDER`` (atomically: all of them or none); a no-op when present."""
    if installed():
        return FOLDER
    FOLDER.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".tfjs-", dir=FOLDER.parent))
    try:
        for package, (integrity, names) in PACKAGES.items():
            try:
                with urllib.request.urlopen(_tarball_url(package), timeout=timeout) as response:
                    body = _verified(package, response.read(), integrity)
            except OSError as error:
                raise RuntimeMissing(
                    f"Could not fetch {package} {VERSION} from {REGISTRY} ({error}). Training in the browser needs"
                    " it once: run `make setup` where the npm registry can be reached."
                ) from None
            with tarfile.open(fileobj=io.BytesIO(body), mode="r:gz") as archive:
                for name in names:
                    member = archive.extractfile(f"package/dist/{name}")
                    if member is None:
                        raise RuntimeMissing(f"{package} {VERSION} has no dist/{name}.")
                    (staging / name).write_bytes(member.read())
        if FOLDER.exists():  # a partial copy from an interrupted install
            for leftover in FOLDER.iterdir():
                leftover.unlink()
            FOLDER.rmdir()
        staging.rename(FOLDER)
    finally:
        if staging.exists():
            for leftover in staging.iterdir():
                leftover.unlink()
            staging.rmdir()
    LOGGER.warning("TensorFlow.js %s installed in %s", VERSION, FOLDER)
    return FOLDER


if __name__ == "__main__":
    try:
        print(f"TensorFlow.js {VERSION}: {install()}")
    except RuntimeMissing as missing:
        sys.exit(str(missing))
