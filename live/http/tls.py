"""HTTPS for phones: a self-signed certificate kept in the data folder, or the user's own.

Phones only give a page the camera on a secure context, so ``serve --https`` makes a
certificate for this machine's names and addresses with ``cryptography`` (ten years, RSA 2048),
once, and reuses it. ``--certfile/--keyfile`` (for example from mkcert) take precedence.
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import socket
from pathlib import Path

from live.settings import Settings

__all__ = ["ensure_certificate"]


def _addresses(host: str) -> list[str]:
    names = {"localhost", "127.0.0.1", socket.gethostname()}
    if host not in ("0.0.0.0", "::", ""):
        names.add(host)
    with contextlib.suppress(OSError):
        names.update(str(info[4][0]) for info in socket.getaddrinfo(socket.gethostname(), None))
    return sorted(n for n in names if n)


def ensure_certificate(settings: Settings) -> tuple[Path, Path]:
    """The (certificate, key) paths to serve with; made in the data folder when absent."""
    if settings.certfile:
        if not settings.keyfile:
            raise ValueError("--certfile needs --keyfile")
        return settings.certfile, settings.keyfile
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    folder = settings.data_dir / "tls"
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    if cert_path.exists() and key_path.exists():
        return cert_path, key_path
    folder.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    alt: list[x509.GeneralName] = []
    for name in _addresses(settings.host):
        try:
            alt.append(x509.IPAddress(ipaddress.ip_address(name.split("%")[0])))
        except ValueError:
            alt.append(x509.DNSName(name))
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cardcheck on this computer")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.SubjectAlternativeName(alt), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path
