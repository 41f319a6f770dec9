"""Building and reading person rows: the ID number is parsed once, encrypted and digested."""

from typing import Any

from bangfu.core.idnumber import IdNumber, mask
from bangfu.core.registry.models import Person, Region
from bangfu.core.security.crypto import FieldCipher

ID_NUMBER_CONTEXT = "core_person.id_number"


def id_number_digest(cipher: FieldCipher, id_number: IdNumber) -> str:
    """The keyed digest used for exact lookup and uniqueness of an ID number."""
    return cipher.digest(id_number.value, context=ID_NUMBER_CONTEXT)


def apply_id_number(person: Person, cipher: FieldCipher, id_number: IdNumber) -> None:
    """Store ``id_number`` on ``person``: encrypted, digested, masked; birth date and sex
    are derived from it and never typed a second time."""
    person.id_number_cipher = cipher.encrypt(id_number.value, context=ID_NUMBER_CONTEXT)
    person.id_number_digest = id_number_digest(cipher, id_number)
    # Only the address code is kept in clear: with the birth date (stored for age queries)
    # the last four characters would complete the number for anyone holding the database.
    person.id_number_masked = id_number.value[:6] + "*" * 12
    person.birth_date = id_number.birth_date
    person.sex = id_number.sex


def new_person(
    cipher: FieldCipher, id_number: IdNumber, *, name: str, region: Region, **fields: Any
) -> Person:
    """A new, unsaved person living in ``region``."""
    person = Person(name=name, region_code=region.code, area_path=region.path, **fields)
    apply_id_number(person, cipher, id_number)
    return person


def masked_id_number(cipher: FieldCipher, person: Person) -> str:
    """First 6 and last 4 characters, decrypted on demand (DecryptionError if tampered)."""
    return mask(read_id_number(cipher, person))


def read_id_number(cipher: FieldCipher, person: Person) -> str:
    """Decrypt a person's ID number (callers decide whether the actor may see it)."""
    return cipher.decrypt(person.id_number_cipher, context=ID_NUMBER_CONTEXT)
