"""A self-signed certificate so the real SDK talks to the emulator over HTTPS.

azure-core refuses to send bearer tokens over plain HTTP, so the emulator serves TLS with a
certificate made at start (EC P-256, SAN ``IP:127.0.0.1`` and ``DNS:localhost``). It is its
own CA (basic constraints CA, key usages, key identifiers) so that OpenSSL's strict checks
accept it as a trust anchor. ``REQUESTS_CA_BUNDLE`` must point at a file holding it; the bundle
written here also carries certifi's roots when available, so other HTTPS calls in the same
process (PyPI, a real Entra ID login) keep working.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

CERT_FILE = "cert.pem"
KEY_FILE = "key.pem"
BUNDLE_FILE = "ca-bundle.pem"
VALID_DAYS = 365


@dataclass(frozen=True)
class CertFiles:
    cert: Path
    key: Path
    bundle: Path


def make_certificate(folder: Path, hostnames: tuple[str, ...] = ("localhost",)) -> CertFiles:
    """Write a fresh key, certificate and CA bundle into ``folder``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    folder.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "reconciler Azure ML emulator")])
    now = dt.datetime.now(dt.UTC)
    san = [x509.DNSName(h) for h in hostnames] + [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName(san), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=True,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(ski, critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    files = CertFiles(folder / CERT_FILE, folder / KEY_FILE, folder / BUNDLE_FILE)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    _write(files.key, key_pem, mode=0o600)
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    _write(files.cert, cert_pem)
    _write(files.bundle, cert_pem + _certifi_roots())
    return files


def _certifi_roots() -> bytes:
    try:
        import certifi
    except ImportError:  # pragma: no cover - requests depends on certifi
        return b""
    return b"\n" + Path(certifi.where()).read_bytes()


def _write(path: Path, data: bytes, mode: int = 0o644) -> None:
    temp = path.with_name(path.name + ".tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(temp, path)
