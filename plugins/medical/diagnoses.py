"""Diagnoses at rest: encrypted with the service's field cipher, bound to their person.

The associated data names the column *and the person*, so a ciphertext copied onto
another person's row fails its integrity check like a tampered one.
"""

from bangfu.core.security.crypto import FieldCipher

CONTEXT = "medical_condition.diagnosis"


def _context(person_id: int) -> str:
    return f"{CONTEXT}:person={person_id}"


def seal(cipher: FieldCipher, person_id: int, diagnosis: str) -> bytes:
    return cipher.encrypt(diagnosis, context=_context(person_id))


def unseal(cipher: FieldCipher, person_id: int, blob: bytes) -> str:
    """The diagnosis; raises ``bangfu.core.security.crypto.DecryptionError`` when tampered."""
    return cipher.decrypt(blob, context=_context(person_id))
