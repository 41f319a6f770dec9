"""Field encryption (AES-256-GCM) and keyed digests (HMAC-SHA256) for sensitive values.

One 32-byte master key (from settings or a key file) yields two independent subkeys
through HKDF: one encrypts, one makes the digests used for exact lookup and uniqueness.
"""

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bangfu.core.config import Settings
from bangfu.core.i18n import _

_FORMAT_VERSION = b"\x01"
_NONCE_BYTES = 12


class DecryptionError(Exception):
    """A stored value could not be decrypted (tampered, or another key)."""


class FieldCipher:
    """Encrypts and digests field values under subkeys of one master key."""

    def __init__(self, master_key: bytes) -> None:
        if len(master_key) != 32:
            raise ValueError(_("the master key must be 32 bytes"))
        self._aead = AESGCM(_derive(master_key, b"bangfu field encryption v1"))
        self._mac_key = _derive(master_key, b"bangfu lookup digest v1")

    def encrypt(self, value: str, *, context: str) -> bytes:
        """Encrypt ``value``; ``context`` (table.column) is bound as associated data."""
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, value.encode(), context.encode())
        return _FORMAT_VERSION + nonce + sealed

    def decrypt(self, blob: bytes, *, context: str) -> str:
        """Decrypt a value written by :meth:`encrypt`; any tampering raises DecryptionError."""
        if len(blob) < 1 + _NONCE_BYTES + 16 or blob[:1] != _FORMAT_VERSION:
            raise DecryptionError("unrecognised encrypted value")
        nonce, sealed = blob[1 : 1 + _NONCE_BYTES], blob[1 + _NONCE_BYTES :]
        try:
            return self._aead.decrypt(nonce, sealed, context.encode()).decode()
        except (InvalidTag, UnicodeDecodeError) as exc:
            raise DecryptionError("encrypted value failed its integrity check") from exc

    def digest(self, value: str, *, context: str) -> str:
        """A keyed digest for exact lookup; equal values give equal digests."""
        return hmac.new(
            self._mac_key, context.encode() + b"\x00" + value.encode(), hashlib.sha256
        ).hexdigest()


def _derive(master: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(master)


def load_master_key(settings: Settings) -> bytes:
    """The master key: ``BANGFU_SECRET_KEY`` (base64) or the key file, created if missing."""
    if settings.secret_key is not None:
        try:
            key = base64.b64decode(settings.secret_key.get_secret_value(), validate=True)
        except ValueError as exc:
            raise ValueError(_("BANGFU_SECRET_KEY is not valid base64")) from exc
        if len(key) != 32:
            raise ValueError(_("BANGFU_SECRET_KEY must decode to 32 bytes"))
        return key
    return _key_from_file(settings.secret_key_file)


def _key_from_file(path: Path) -> bytes:
    if path.exists():
        if path.stat().st_mode & 0o077:
            raise PermissionError(
                _("key file {path} must not be readable by group or others (chmod 600)", path=path)
            )
        key = base64.b64decode(path.read_bytes().strip())
        if len(key) != 32:
            raise ValueError(_("key file {path} does not hold a 32-byte key", path=path))
        return key
    key = secrets.token_bytes(32)
    # Created with 0600 from the start: never a moment when others could read it.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it meanwhile: use theirs
        return _key_from_file(path)
    with os.fdopen(fd, "wb") as handle:
        handle.write(base64.b64encode(key) + b"\n")
    return key
