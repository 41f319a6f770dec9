"""Which URLs a webhook endpoint may have, so webhooks are no server-side request forgery
path (docs/security.md).

In the development profile any ``http`` or ``https`` URL is allowed: a developer's receiver
runs on 127.0.0.1. In the production profile an endpoint must be ``https`` and every
address its host name resolves to must be a public (globally routable) one, unless it lies
in a network the operator allows (``BANGFU_WEBHOOK_ALLOWED_NETWORKS``, for a partner on the
government intranet). Loopback, link-local (cloud metadata services at 169.254.169.254),
unspecified, multicast and reserved addresses are refused in production even then.

The check runs when an endpoint is added and again before every delivery, against the
addresses the delivery then connects to, so a name that later resolves elsewhere (DNS
rebinding) is refused too.
"""

import dataclasses
import ipaddress
import socket
import urllib.parse
from collections.abc import Callable, Sequence

from bangfu.core.errors import DomainError, ErrorCode
from bangfu.core.i18n import _

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
#: ``host, port -> addresses``; :func:`system_resolver` asks the system's resolver.
Resolver = Callable[[str, int], Sequence[str]]

MAX_URL_LENGTH = 2000


def system_resolver(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to (both families), by the system's resolver."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


@dataclasses.dataclass(frozen=True)
class Target:
    """A checked endpoint: its URL's parts and the addresses a delivery may connect to."""

    url: str
    scheme: str
    host: str
    port: int
    addresses: tuple[str, ...]


def never_allowed(address: Address) -> bool:
    """Addresses no production endpoint may have, whatever networks are allowed."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return never_allowed(address.ipv4_mapped)
    return (
        address.is_loopback
        or address.is_link_local
        or address.is_unspecified
        or address.is_multicast
        or address.is_reserved
    )


def address_allowed(address: Address, allowed_networks: Sequence[Network]) -> bool:
    """Whether a production endpoint may connect to ``address``."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address_allowed(address.ipv4_mapped, allowed_networks)
    if never_allowed(address):
        return False
    if address.is_global:
        return True
    return any(address in network for network in allowed_networks)


def _refused(reason: str, field: str) -> DomainError:
    return DomainError.of(field, reason, ErrorCode.WEBHOOK_URL_REFUSED)


def check_target(
    url: str,
    *,
    production: bool,
    allowed_networks: Sequence[Network] = (),
    resolve: Resolver = system_resolver,
    field: str = "url",
) -> Target:
    """``url`` as a :class:`Target`, or :class:`DomainError` ``WEBHOOK_URL_REFUSED`` naming
    ``field`` and why: not an absolute http(s) URL, a user name or password in it, http in
    production, a host that does not resolve, or (in production) an address that is not
    public and not in ``allowed_networks``."""
    if len(url) > MAX_URL_LENGTH:
        raise _refused(_("at most {limit} characters", limit=MAX_URL_LENGTH), field)
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError:
        raise _refused(_("not a valid URL"), field) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _refused(_("an absolute http or https URL is needed"), field)
    if parts.username is not None or parts.password is not None:
        raise _refused(
            _("a URL must not hold a user name or password: the signature authenticates"),
            field,
        )
    if parts.fragment:
        raise _refused(_("a URL must not have a fragment (#...)"), field)
    if production and parts.scheme != "https":
        raise _refused(_("the production profile delivers only over https"), field)
    host = parts.hostname
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        literal: Address | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [str(literal)]
    else:
        try:
            addresses = list(resolve(host, port))
        except (OSError, UnicodeError):
            addresses = []
        if not addresses:
            raise _refused(_("the host name {host} does not resolve", host=host), field)
    if production:
        for text in addresses:
            if not address_allowed(ipaddress.ip_address(text), allowed_networks):
                raise _refused(
                    _(
                        "{host} resolves to {address}, a private, loopback or reserved "
                        "address: the production profile delivers only to public addresses "
                        "and to the networks of BANGFU_WEBHOOK_ALLOWED_NETWORKS",
                        host=host,
                        address=text,
                    ),
                    field,
                )
    return Target(url=url, scheme=parts.scheme, host=host, port=port, addresses=tuple(addresses))
