"""Password hashing with Argon2id (argon2-cffi) and the password policy.

The policy applies wherever a password is set (``bangfu user create``,
``bangfu user reset-password``, the administrator created on first start): at least
8 characters, three of four character classes, and not containing the user name.
"""

import secrets
import string

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from bangfu.core.i18n import _

_hasher = PasswordHasher()  # Argon2id with argon2-cffi's (RFC 9106 low-memory) parameters

MIN_LENGTH = 8


class PasswordPolicyError(ValueError):
    """A password that the policy refuses; the message says why."""


def character_classes(password: str) -> int:
    """How many of lower case, upper case, digits and other characters appear."""
    return sum(
        (
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        )
    )


def check_policy(password: str, username: str) -> None:
    """At least 8 characters, three character classes, not containing the user name."""
    if len(password) < MIN_LENGTH:
        raise PasswordPolicyError(
            _("the password must have at least {min_length} characters", min_length=MIN_LENGTH)
        )
    if character_classes(password) < 3:
        raise PasswordPolicyError(
            _("the password must mix three of: lower case, upper case, digits, other characters")
        )
    if username and username.lower() in password.lower():
        raise PasswordPolicyError(_("the password must not contain the user name"))


def hash_password(password: str) -> str:
    """The Argon2id hash (``$argon2id$...``) of ``password``; no policy check."""
    return _hasher.hash(password)


def checked_hash(password: str, username: str) -> str:
    """Check the policy, then hash: what every place that sets a password calls."""
    check_policy(password, username)
    return hash_password(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


_ALPHABET = string.ascii_letters + string.digits + "-_.!#%+="


def generate_password(username: str, length: int = 20) -> str:
    """A random password that satisfies the policy (for accounts created by the service)."""
    while True:
        candidate = "".join(secrets.choice(_ALPHABET) for _index in range(length))
        try:
            check_policy(candidate, username)
        except PasswordPolicyError:
            continue
        if character_classes(candidate) == 4:
            return candidate


# A hash to verify against when the user does not exist, so timing does not tell.
DUMMY_HASH = _hasher.hash("not-a-real-password-Aa1!")
