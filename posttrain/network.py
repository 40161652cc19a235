"""Whether the Hugging Face Hub can be reached from here, asked before a download.

Offline, huggingface_hub retries each request with a growing wait (1 + 2 + 4 + 8 + 8 s), twice for a model (its
tokenizer, then its weights): a workshop laptop without a network showed a spinner for 48 s before saying that a
Hub id could not be downloaded. One connection attempt, a few seconds at most, says it at once; a model already in
the local Hugging Face cache is then read from there. Behind a proxy the host is not dialled directly: it is taken to
be reachable, and the library's own error, if any, is the answer. In the library's offline mode (HF_HUB_OFFLINE) it
answers from its cache at once by itself: nothing is dialled either.
"""

from __future__ import annotations

import os
import socket
from urllib.parse import urlparse

PROXY_VARS = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")


def hub_endpoint() -> tuple[str, int]:
    """(host, port) of the Hub this process downloads from ($HF_ENDPOINT, else huggingface.co).

    >>> hub_endpoint() if "HF_ENDPOINT" not in os.environ else ("huggingface.co", 443)
    ('huggingface.co', 443)
    """
    url = urlparse(os.environ.get("HF_ENDPOINT") or "https://huggingface.co")
    return url.hostname or "huggingface.co", url.port or (80 if url.scheme == "http" else 443)


def hub_unreachable(timeout: float = 3.0) -> bool:
    """True when the Hub's host cannot be connected to within `timeout` seconds; False when it can, when a proxy is
    set (the proxy is the way out, not a direct connection), or in the library's offline mode (it does not wait)."""
    if os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on"):
        return False
    if any(os.environ.get(var) for var in PROXY_VARS):
        return False
    try:
        socket.create_connection(hub_endpoint(), timeout=timeout).close()
        return False
    except OSError:
        return True
