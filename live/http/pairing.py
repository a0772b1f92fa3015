"""Pairing a phone: the scanner URL a phone can reach, as a QR code for the terminal or a page.

A phone on the classroom network cannot open ``127.0.0.1``. When the server listens on every
interface (``--host 0.0.0.0``), the link names this machine's address on the local network; an
explicit ``public_url`` always wins. Finding that address opens a UDP socket and "connects" it,
which picks the outgoing interface without sending a packet.
"""

from __future__ import annotations

import io
import socket
from urllib.parse import quote

import segno

from live.settings import Settings

__all__ = [
    "lan_address",
    "pairing_url",
    "phone_base_url",
    "qr_svg",
    "qr_terminal",
    "scanner_url",
]

_EVERYWHERE = ("0.0.0.0", "::", "")


def lan_address() -> str | None:
    """This machine's address on the local network, or None when it has none."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.connect(("10.255.255.255", 1))  # no packet is sent for a UDP connect
        address = str(sock.getsockname()[0])
    except OSError:
        return None
    finally:
        sock.close()
    return None if address.startswith("127.") or address == "0.0.0.0" else address


def phone_base_url(settings: Settings) -> str:
    """Where a phone should open the server: ``public_url``, else the LAN address when the server
    listens on every interface, else the address it listens on."""
    if settings.public_url or settings.host not in _EVERYWHERE:
        return settings.base_url
    address = lan_address()
    if address is None:
        return settings.base_url
    scheme = "https" if (settings.https or settings.certfile) else "http"
    return f"{scheme}://{address}:{settings.port}"


def scanner_url(settings: Settings, token: str, session_id: int) -> str:
    """The scanner page's link for a phone to scan session ``session_id``, teacher token
    included."""
    return f"{phone_base_url(settings)}/scan/?session={session_id}&token={quote(token)}"


def pairing_url(settings: Settings, code: str, session_id: int) -> str:
    """The scanner page's link for a phone, carrying a pairing code of ``session_id`` (which
    the page trades for a scanner credential of that session only)."""
    return f"{phone_base_url(settings)}/scan/?session={session_id}&pair={quote(code)}"


def qr_svg(text: str, *, scale: int = 6) -> bytes:
    """``text`` as a QR code in an SVG document (black on white, quiet zone included)."""
    out = io.BytesIO()
    segno.make(text, error="m").save(
        out, kind="svg", scale=scale, border=4, xmldecl=False, light="#fff", dark="#000"
    )
    return out.getvalue()


def qr_terminal(text: str) -> str:
    """``text`` as a QR code drawn with block characters, two rows per line."""
    out = io.StringIO()
    segno.make(text, error="l").terminal(out=out, compact=True, border=2)
    return out.getvalue()
