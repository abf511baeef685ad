"""Whether a host name or URL is this machine's loopback (standard library only: the server's
command line asks too)."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


def is_loopback_host(host: str) -> bool:
    """Whether ``host`` is ``localhost`` or a loopback address (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def is_loopback(url: str) -> bool:
    """Whether ``url`` names this machine by a loopback address or ``localhost``."""
    return is_loopback_host(urlsplit(url).hostname or "")
