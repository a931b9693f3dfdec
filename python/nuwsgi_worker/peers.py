"""Who is believed about what, for the uwsgi sockets the worker serves: `uwsgi-allow` lists the peers
that may talk to a TCP uwsgi socket (the protocol lets the peer set every CGI variable, REMOTE_ADDR
and HTTPS included); `trusted-proxy` lists the proxies whose X-Forwarded-For and X-Forwarded-Proto
are believed. The master checked the entries when it read the configuration; the rules are the
master's own (src/config/address-list.ts, src/listeners/peers.ts), for the requests it serves itself.
"""

import ipaddress

UNIX = 'unix'
# What JavaScript's trim() removes, of the latin-1 characters (str.strip() also removes \x1c-\x1f and \x85).
_SPACE = ' \t\n\v\f\r\xa0'


class AddressList:
    def __init__(self, entries):
        """`entries`: addresses and networks; `unix` (peers on unix sockets) matches no address."""
        self.empty = not entries
        self._networks = [ipaddress.ip_network(entry, strict=False) for entry in entries if entry != UNIX]
        # Peers repeat (one nginx, a few proxies): their answers are remembered.
        self._answers = {}

    def has(self, address):
        """Whether the IP address `address` is in the list (False for anything that is not an address)."""
        answer = self._answers.get(address)
        if answer is None:
            answer = self._check(address)
            if len(self._answers) >= 1000:
                self._answers.clear()
            self._answers[address] = answer
        return answer

    def _check(self, address):
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        if ip.version == 4:
            # as node's BlockList: an IPv4 address is also its IPv4-mapped IPv6 form (::ffff:a.b.c.d)
            candidates = (ip, ipaddress.IPv6Address(0xffff00000000 | int(ip)))
        else:
            mapped = ip.ipv4_mapped
            candidates = (ip,) if mapped is None else (ip, mapped)
        return any(candidate in network for network in self._networks for candidate in candidates
                   if candidate.version == network.version)


def _is_ip(text):
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return False


def _forwarded_client(forwarded_for, trusted):
    """Reading X-Forwarded-For from the right, the first address that is not a trusted proxy is the
    client (entries further left were written by that client and prove nothing); None when the
    rightmost entry is not an address."""
    client = None
    for entry in reversed(forwarded_for.split(',')):
        entry = entry.strip(_SPACE)
        if not _is_ip(entry):
            return client
        client = entry
        if not trusted.has(entry):
            return client
    return client


def _forwarded_scheme(forwarded_proto):
    value = forwarded_proto.rsplit(',', 1)[-1].strip(_SPACE).lower()
    return value if value in ('http', 'https') else None


def forwarded_origin(trusted, remote_addr, scheme, forwarded_for, forwarded_proto):
    """REMOTE_ADDR and wsgi.url_scheme of a request whose direct peer is a trusted proxy, as its
    X-Forwarded-For and X-Forwarded-Proto say; each stays as it was when its header is absent or says
    nothing usable."""
    if forwarded_for is not None:
        remote_addr = _forwarded_client(forwarded_for, trusted) or remote_addr
    if forwarded_proto is not None:
        scheme = _forwarded_scheme(forwarded_proto) or scheme
    return remote_addr, scheme
