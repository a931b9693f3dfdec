"""uwsgi packets made by hand for the protocol's tests: vars blocks, whole packets, nginx's vars
(and one POST request made of them, STREAM: its PACKET then its BODY), and the assertions on the
errors the parser raises."""

import struct
import unittest

from .fake_master import PYTHON_DIR  # noqa: F401  (puts python/ on sys.path)
from nuwsgi_worker.uwsgi_protocol import UwsgiError, head_size, parse_vars, request_environ  # noqa: E402


def _bytes(text):
    return text if isinstance(text, bytes) else text.encode('latin-1')


def encode_vars(pairs):
    """The vars block: u16 LE key length, key, u16 LE value length, value; str is latin-1."""
    parts = []
    for key, value in pairs:
        key, value = _bytes(key), _bytes(value)
        parts.append(struct.pack('<H', len(key)) + key + struct.pack('<H', len(value)) + value)
    return b''.join(parts)


def encode_packet(pairs, modifier1=0, modifier2=0):
    """The 4-byte header (modifier1, u16 LE datasize, modifier2) and the vars block."""
    block = encode_vars(pairs)
    return struct.pack('<BHB', modifier1, len(block), modifier2) + block


def raw_packet(block, datasize=None, modifier1=0):
    """A header announcing `datasize` bytes (the block's length unless given), then the block as given."""
    return struct.pack('<BHB', modifier1, len(block) if datasize is None else datasize, 0) + block


def nginx_vars(method='GET', uri='/', headers=(('Host', 'example.com'),), content_type='', content_length=None,
               https=False, remote_addr='127.0.0.1'):
    """The vars nginx sends with `include uwsgi_params;` (as test/helpers/uwsgi-client.ts), then every
    client header as HTTP_* (Content-Type and Content-Length included)."""
    path, _, query = uri.partition('?')
    pairs = [
        ('QUERY_STRING', query),
        ('REQUEST_METHOD', method),
        ('CONTENT_TYPE', content_type),
        ('CONTENT_LENGTH', '' if content_length is None else str(content_length)),
        ('REQUEST_URI', uri),
        ('PATH_INFO', path),
        ('DOCUMENT_ROOT', '/usr/share/nginx/html'),
        ('SERVER_PROTOCOL', 'HTTP/1.1'),
        ('REQUEST_SCHEME', 'https' if https else 'http'),
    ]
    if https:
        pairs.append(('HTTPS', 'on'))
    pairs += [('REMOTE_ADDR', remote_addr), ('REMOTE_PORT', '51234'), ('SERVER_PORT', '80'),
              ('SERVER_NAME', 'example.com')]
    for name, value in headers:
        pairs.append(('HTTP_' + name.upper().replace('-', '_'), value))
    return pairs


VARS = nginx_vars(method='POST', uri='/submit?x=1', content_length=5,
                  headers=(('Host', 'example.com'), ('User-Agent', 'test')))
PACKET = encode_packet(VARS)
BODY = b'hello'
STREAM = PACKET + BODY


def environ_of(pairs, trusted=None):
    """request_environ of a packet holding `pairs`."""
    data = encode_packet(pairs)
    return request_environ(data, len(data), trusted)


class ErrorAssertions(unittest.TestCase):
    def assertUwsgiError(self, code, function, *args):
        with self.assertRaises(UwsgiError) as caught:
            function(*args)
        self.assertEqual(caught.exception.code, code, str(caught.exception))
        return caught.exception

    def assertParseError(self, code, data, message=None):
        """parse_vars and request_environ both refuse the whole packet `data` with `code`."""
        size = head_size(data, 65535)
        self.assertEqual(size, len(data))
        error = self.assertUwsgiError(code, parse_vars, data, size)
        again = self.assertUwsgiError(code, request_environ, data, size, None)
        self.assertEqual(str(again), str(error))
        if message is not None:
            self.assertEqual(str(error), message)
        return error
