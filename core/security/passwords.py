"""Password hashing with Argon2 (argon2-cffi) and the password policy."""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


class PasswordPolicyError(ValueError):
    """A password that the policy refuses; the message says why."""


def check_policy(password: str, username: str) -> None:
    """At least 8 characters, three character classes, not containing the user name."""
    if len(password) < 8:
        raise PasswordPolicyError("the password must have at least 8 characters")
    classes = sum(
        (
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        )
    )
    if classes < 3:
        raise PasswordPolicyError(
            "the password must mix three of: lower case, upper case, digits, other characters"
        )
    if username and username.lower() in password.lower():
        raise PasswordPolicyError("the password must not contain the user name")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# A hash to verify against when the user does not exist, so timing does not tell.
DUMMY_HASH = _hasher.hash("not-a-real-password-Aa1!")
