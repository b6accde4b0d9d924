"""The client's address: the one answer used by rate limits, the access log and django-axes.

Without a configured proxy the address is the TCP peer (`REMOTE_ADDR`) and `X-Forwarded-For`
is ignored: anyone can write that header. Behind proxies, each trusted proxy appends the
address it received the request from, so the chain `X-Forwarded-For, REMOTE_ADDR` ends with
one address per trusted proxy; the client is the address just before them. Everything left
of it was written by the client and is never used.

- `TRUSTED_PROXY_COUNT = N`: the last N addresses of the chain are proxies.
- `TRUSTED_PROXIES = [networks]`: one network per proxy, outermost first (a single network
  is repeated for every proxy when `TRUSTED_PROXY_COUNT` is larger); the request must have
  come through addresses in those networks, else the header is ignored. Safer than a count
  alone: a request that reaches the app without passing the proxies can't choose its address.

Only the entries the trusted proxies wrote are read: the last N of `X-Forwarded-For` (split
on commas; the client-written part to their left may hold anything, even an unclosed quote
that RFC 7239 parsing would let swallow the proxies' entries and shift every position).
Those entries and the peer go to python-ipware (the engine of django-ipware, which axes
supports) in strict mode: every one must be an address and, with `TRUSTED_PROXIES`, each
proxy must sit in its network. django-ipware's own adapter reads one header at a time, so it
can't check that `REMOTE_ADDR` itself is a trusted proxy. When the header has too few entries
or doesn't match, the peer address is used. A peer that is not an IP address (gunicorn on a
unix socket) is a local process: it stands in the chain as 127.0.0.1 and is never returned.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest
from python_ipware import IpWare

_CHAIN = "HTTP_X_FORWARDED_FOR"
_LOCAL = "127.0.0.1"


@lru_cache(maxsize=8)
def _resolver(count: int, networks: tuple[str, ...]) -> IpWare:
    return IpWare(
        precedence=(_CHAIN,),
        proxy_count=count or None,
        proxy_list=list(networks) or None,
        algorithm="modern",
    )


def trusted_proxies() -> tuple[int, tuple[str, ...]]:
    """Return (number of trusted proxies, their networks outermost first) from settings."""
    count = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    networks = tuple(getattr(settings, "TRUSTED_PROXIES", ()) or ())
    if len(networks) == 1 and count > 1:
        networks = networks * count
    return max(count, len(networks)), networks


def _ip(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """Return the address of the client that sent `request` (see the module docstring)."""
    peer = _ip(request.META.get("REMOTE_ADDR"))
    count, networks = trusted_proxies()
    if not count:
        return peer
    forwarded = request.META.get(_CHAIN)
    if not isinstance(forwarded, str):
        return peer
    written_by_proxies = [entry.strip() for entry in forwarded.rsplit(",", count)[-count:]]
    if len(written_by_proxies) < count or not all(written_by_proxies):
        return peer
    chain = {_CHAIN: ", ".join([*written_by_proxies, peer or _LOCAL])}
    address, _trusted = _resolver(count, networks).get_client_ip(chain, strict=True)
    return _ip(str(address)) if address is not None else peer
