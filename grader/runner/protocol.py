"""The result channel's line format: `<hmac-sha256 hex> <json>\n`, one event per line.

The key is made by the supervisor per job and handed to the child privately (inherited memory
after fork, or the child's stdin when spawned), never on the command line or in the environment.
Each event carries a sequence number; the supervisor rejects bad signatures, gaps and repeats.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os

MAX_LINE = 256 * 1024


def new_key() -> bytes:
    return os.urandom(32)


def sign(key: bytes, event: dict) -> bytes:
    body = json.dumps(event, separators=(",", ":"), sort_keys=True).encode()
    mac = hmac.new(key, body, hashlib.sha256).hexdigest().encode()
    return mac + b" " + body + b"\n"


def verify(key: bytes, line: bytes) -> dict | None:
    """The event, or None if the line is not a well-formed, correctly signed event."""
    if len(line) > MAX_LINE:
        return None
    mac, _, body = line.rstrip(b"\n").partition(b" ")
    expected = hmac.new(key, body, hashlib.sha256).hexdigest().encode()
    if not hmac.compare_digest(mac, expected):
        return None
    try:
        event = json.loads(body)
    except ValueError:
        return None
    return event if isinstance(event, dict) else None
