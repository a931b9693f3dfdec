"""The uwsgi protocol without I/O (python/nuwsgi_worker/uwsgi_protocol.py): head_size on the 4-byte
header (partial data, other protocols, sizes), parse_vars on the vars block (every way it can be
malformed), request_environ (the CGI environ the vars become, as the master's old buildRequest made
it, trusted proxies included), response_protocol, and random and mutated input."""

import random
import struct
import unittest

from .fake_master import PYTHON_DIR  # noqa: F401  (puts python/ on sys.path)
from nuwsgi_worker.peers import AddressList
from nuwsgi_worker.uwsgi_protocol import (
    MAX_DATASIZE, MAX_VARS, BadVars, UwsgiError, head_size, parse_vars, request_environ, response_protocol,
)

ERROR_CODES = frozenset((
    'LOOKS_LIKE_HTTP', 'LOOKS_LIKE_TLS', 'UNSUPPORTED_MODIFIER', 'HEAD_TOO_LARGE', 'EMPTY_KEY', 'TRUNCATED_VAR',
    'TOO_MANY_VARS',
))


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


class HeadSizeTest(ErrorAssertions):
    def test_head_in_one_chunk_with_the_body_after_it(self):
        size = head_size(STREAM, 4096)
        self.assertEqual(size, len(PACKET))
        self.assertEqual(parse_vars(STREAM, size), VARS)
        self.assertEqual(STREAM[size:], BODY)

    def test_every_prefix(self):
        # the old parser's "every split into chunks": the header is known from 4 bytes on, and the
        # vars parse the same once the whole head is there, whatever follows
        for at in range(len(STREAM) + 1):
            data = STREAM[:at]
            size = head_size(data, 4096)
            if at < 4:
                self.assertIsNone(size, 'prefix of %d bytes' % at)
                continue
            self.assertEqual(size, len(PACKET), 'prefix of %d bytes' % at)
            if at >= size:
                self.assertEqual(parse_vars(data, size), VARS, 'prefix of %d bytes' % at)
                self.assertEqual(data[size:], BODY[:at - size])

    def test_none_until_four_bytes(self):
        for data in (b'', b'\0', b'\0\x10', b'\0\x10\0'):
            self.assertIsNone(head_size(data, 4096), repr(data))
        self.assertEqual(head_size(b'\0\x10\0\0', 4096), 20)

    def test_waits_for_more_while_the_head_is_incomplete(self):
        self.assertIsNone(head_size(PACKET[:2], 4096))
        self.assertGreater(head_size(PACKET[:10], 4096), 10)
        self.assertEqual(head_size(PACKET, 4096), len(PACKET))

    def test_empty_vars_block(self):
        data = raw_packet(b'')
        self.assertEqual(head_size(data, 4096), 4)
        self.assertEqual(parse_vars(data, 4), [])

    def test_vars_block_of_exactly_buffer_size(self):
        data = encode_packet([('K', 'v' * 100)])
        self.assertEqual(head_size(data, len(data) - 4), len(data))
        error = self.assertUwsgiError('HEAD_TOO_LARGE', head_size, data, len(data) - 5)
        self.assertEqual(error.value, len(data) - 4)

    def test_vars_block_larger_than_buffer_size_from_the_header_alone(self):
        error = self.assertUwsgiError('HEAD_TOO_LARGE', head_size, b'\0\x01\x20\0', 4096)
        self.assertEqual(error.value, 0x2001)
        self.assertEqual(str(error), 'the vars block is 8193 bytes, more than buffer-size (4096 bytes)')

    def test_buffer_size_above_65535_is_65535(self):
        data = encode_packet([('K', 'v' * 65000)])
        size = head_size(data, 1024 * 1024)
        self.assertEqual(size, len(data))
        self.assertEqual(parse_vars(data, size), [('K', 'v' * 65000)])
        self.assertEqual(head_size(b'\0\xff\xff\0', 1024 * 1024), 4 + MAX_DATASIZE)

    def test_modifier2_is_ignored(self):
        for modifier2 in (0, 7, 255):
            data = encode_packet([('A', 'b')], modifier2=modifier2)
            self.assertEqual(head_size(data, 4096), len(data))
            self.assertEqual(parse_vars(data, len(data)), [('A', 'b')])


class OtherProtocolsTest(ErrorAssertions):
    def test_http_request_lines(self):
        for line in (b'GET / HTTP/1.1\r\n', b'POST /x HTTP/1.1\r\n', b'HEAD / HTTP/1.0\r\n', b'PUT /x HTTP/1.1\r\n',
                     b'DELETE /x HTTP/1.1\r\n', b'OPTIONS * HTTP/1.1\r\n', b'PATCH /x HTTP/1.1\r\n',
                     b'CONNECT a:443 HTTP/1.1\r\n', b'TRACE / HTTP/1.1\r\n'):
            with self.subTest(line=line):
                error = self.assertUwsgiError('LOOKS_LIKE_HTTP', head_size, line, 4096)
                self.assertEqual(str(error), 'an HTTP request')
                self.assertEqual(error.value, line[0])
                # four bytes are enough
                self.assertUwsgiError('LOOKS_LIKE_HTTP', head_size, line[:4], 4096)

    def test_http_sent_in_small_pieces(self):
        self.assertIsNone(head_size(b'G', 4096))
        self.assertIsNone(head_size(b'GET', 4096))
        self.assertUwsgiError('LOOKS_LIKE_HTTP', head_size, b'GET ', 4096)

    def test_tls_handshake(self):
        error = self.assertUwsgiError('LOOKS_LIKE_TLS', head_size, bytes([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]), 4096)
        self.assertEqual(str(error), 'a TLS handshake')
        self.assertEqual(error.value, 0x16)
        self.assertIsNone(head_size(b'\x16\x03\x01', 4096))

    def test_other_modifier1_named(self):
        error = self.assertUwsgiError('UNSUPPORTED_MODIFIER', head_size, encode_packet([('A', 'b')], 5), 4096)
        self.assertEqual(error.value, 5)
        self.assertEqual(str(error), 'unsupported modifier1 5')

    def test_near_misses_are_other_modifiers(self):
        for data, value in ((b'GETX / HTTP/1.1', 0x47), (b'get / HTTP/1.1', 0x67), (b'\x16\x02\x01\x00', 0x16),
                            (b'\xff\0\0\0', 255)):
            with self.subTest(data=data):
                error = self.assertUwsgiError('UNSUPPORTED_MODIFIER', head_size, data, 4096)
                self.assertEqual(error.value, value)
                self.assertEqual(str(error), 'unsupported modifier1 %d' % value)

    def test_modifier1_is_checked_before_datasize(self):
        self.assertUwsgiError('UNSUPPORTED_MODIFIER', head_size, b'\x05\xff\xff\0', 16)


class ParseVarsTest(ErrorAssertions):
    def test_empty_values_and_repeated_keys_in_order(self):
        data = encode_packet([('A', ''), ('B', 'x'), ('A', 'y')])
        self.assertEqual(parse_vars(data, len(data)), [('A', ''), ('B', 'x'), ('A', 'y')])

    def test_latin1_keys_and_values(self):
        data = encode_packet([('HTTP_X', b'\xe9\xff\x41'), (b'K\xe9', b'\x80\x00\x7f')], modifier2=7)
        self.assertEqual(parse_vars(data, len(data)), [('HTTP_X', '\xe9\xffA'), ('K\xe9', '\x80\x00\x7f')])

    def test_only_the_block_is_read(self):
        data = encode_packet([('A', 'b')]) + encode_vars([('C', 'd')])
        self.assertEqual(parse_vars(data, len(data) - 6), [('A', 'b')])

    def test_max_vars(self):
        many = [('K%d' % i, 'v') for i in range(MAX_VARS)]
        data = encode_packet(many)
        self.assertEqual(len(parse_vars(data, head_size(data, 65535))), MAX_VARS)

    def test_more_than_max_vars(self):
        many = [('K%d' % i, '') for i in range(MAX_VARS + 1)]
        self.assertParseError('TOO_MANY_VARS', encode_packet(many), 'more than %d vars' % MAX_VARS)

    def test_empty_key(self):
        self.assertParseError('EMPTY_KEY', encode_packet([('A', '1'), ('', 'x')]), 'a var with an empty key at byte 6')
        self.assertParseError('EMPTY_KEY', encode_packet([('', 'x')]), 'a var with an empty key at byte 0')

    def test_key_length_past_the_block(self):
        # key length 10, two bytes of key
        self.assertParseError('TRUNCATED_VAR', raw_packet(bytes([10, 0, 65, 66])),
                              'a var at byte 0 runs past the end of the vars block')

    def test_value_length_past_the_block_even_if_the_bytes_follow_it(self):
        block = bytearray(encode_vars([('KEY', 'value')]))
        struct.pack_into('<H', block, 5, 50)  # the value claims 50 bytes; 45 more follow, outside the block
        data = raw_packet(bytes(block)) + b'a' * 45
        size = head_size(data, 4096)
        self.assertEqual(size, 4 + len(block))
        error = self.assertUwsgiError('TRUNCATED_VAR', parse_vars, data, size)
        self.assertEqual(str(error), 'a var at byte 5 runs past the end of the vars block')
        self.assertUwsgiError('TRUNCATED_VAR', request_environ, data, size, None)

    def test_block_ending_in_the_middle_of_a_length(self):
        self.assertParseError('TRUNCATED_VAR', raw_packet(bytes([1, 0, 65, 1])),
                              'a var at byte 0 runs past the end of the vars block')
        self.assertParseError('TRUNCATED_VAR', raw_packet(bytes([1, 0, 65, 0, 0, 7])),
                              'a var at byte 5 runs past the end of the vars block')

    def test_key_without_a_value_length(self):
        self.assertParseError('TRUNCATED_VAR', raw_packet(bytes([1, 0, 65])),
                              'a var at byte 0 runs past the end of the vars block')

    def test_truncated_second_var_named_by_its_offset(self):
        good = encode_vars([('KEY', 'value')])  # 12 bytes
        self.assertParseError('TRUNCATED_VAR', raw_packet(good + bytes([9, 0, 65])),
                              'a var at byte 12 runs past the end of the vars block')
        self.assertParseError('TRUNCATED_VAR', raw_packet(good + bytes([1, 0, 65, 3, 0, 66])),
                              'a var at byte 15 runs past the end of the vars block')

    def test_datasize_shorter_than_the_vars(self):
        block = encode_vars([('KEY', 'value')])
        data = raw_packet(block, datasize=len(block) - 1)
        error = self.assertUwsgiError('TRUNCATED_VAR', parse_vars, data, head_size(data, 4096))
        self.assertEqual(str(error), 'a var at byte 5 runs past the end of the vars block')


class RequestEnvironTest(ErrorAssertions):
    def test_an_nginx_request(self):
        environ, length = request_environ(STREAM, len(PACKET), None)
        self.assertEqual(length, 5)
        self.assertEqual(environ, {
            'QUERY_STRING': 'x=1', 'REQUEST_METHOD': 'POST', 'CONTENT_TYPE': '', 'CONTENT_LENGTH': '5',
            'REQUEST_URI': '/submit?x=1', 'PATH_INFO': '/submit', 'DOCUMENT_ROOT': '/usr/share/nginx/html',
            'SERVER_PROTOCOL': 'HTTP/1.1', 'REQUEST_SCHEME': 'http', 'REMOTE_PORT': '51234', 'SERVER_PORT': '80',
            'SERVER_NAME': 'example.com', 'HTTP_HOST': 'example.com', 'HTTP_USER_AGENT': 'test',
            'REMOTE_ADDR': '127.0.0.1', 'SCRIPT_NAME': '', 'wsgi.url_scheme': 'http',
        })

    def test_empty_block(self):
        self.assertEqual(environ_of([]), ({'SCRIPT_NAME': '', 'wsgi.url_scheme': 'http'}, 0))

    def test_uwsgi_and_dotted_keys_are_dropped(self):
        environ, _ = environ_of([
            ('UWSGI_FILE', '/tmp/evil.py'), ('UWSGI_SCHEME', 'https'), ('UWSGI_', 'x'), ('wsgi.url_scheme', 'https'),
            ('wsgi.input', 'x'), ('a.b', 'c'), ('.', 'd'), ('HTTP_X.Y', 'e'),
            ('UWSGIX', 'kept'), ('uwsgi_file', 'kept'), ('X_UWSGI_Y', 'kept'),
        ])
        self.assertEqual(environ, {
            'UWSGIX': 'kept', 'uwsgi_file': 'kept', 'X_UWSGI_Y': 'kept', 'SCRIPT_NAME': '', 'wsgi.url_scheme': 'http',
        })

    def test_http_content_type_and_length_are_dropped(self):
        environ, length = environ_of([
            ('CONTENT_TYPE', 'text/plain'), ('CONTENT_LENGTH', '3'),
            ('HTTP_CONTENT_TYPE', 'text/plain'), ('HTTP_CONTENT_LENGTH', '3'), ('HTTP_CONTENT_MD5', 'x'),
        ])
        self.assertEqual(length, 3)
        self.assertEqual(environ, {'CONTENT_TYPE': 'text/plain', 'CONTENT_LENGTH': '3', 'HTTP_CONTENT_MD5': 'x',
                                   'SCRIPT_NAME': '', 'wsgi.url_scheme': 'http'})

    def test_a_bad_http_content_length_is_dropped_unread(self):
        self.assertEqual(environ_of([('HTTP_CONTENT_LENGTH', 'x')])[1], 0)

    def test_the_last_duplicate_wins(self):
        environ, length = environ_of([
            ('PATH_INFO', '/a'), ('CONTENT_LENGTH', '10'), ('REMOTE_ADDR', '10.0.0.1'), ('HTTP_X', '1'),
            ('PATH_INFO', '/b'), ('CONTENT_LENGTH', '20'), ('REMOTE_ADDR', '10.0.0.2'), ('HTTP_X', '2'),
        ])
        self.assertEqual(length, 20)
        self.assertEqual(environ['PATH_INFO'], '/b')
        self.assertEqual(environ['CONTENT_LENGTH'], '20')
        self.assertEqual(environ['REMOTE_ADDR'], '10.0.0.2')
        self.assertEqual(environ['HTTP_X'], '2')

    def test_remote_addr(self):
        self.assertEqual(environ_of([('REMOTE_ADDR', '192.0.2.1')])[0]['REMOTE_ADDR'], '192.0.2.1')
        self.assertNotIn('REMOTE_ADDR', environ_of([('REQUEST_METHOD', 'GET')])[0])
        self.assertNotIn('REMOTE_ADDR', environ_of([('REMOTE_ADDR', '')])[0])
        # whatever it says: only trusted proxies are checked against a list
        self.assertEqual(environ_of([('REMOTE_ADDR', 'not an address')])[0]['REMOTE_ADDR'], 'not an address')

    def test_script_name(self):
        self.assertEqual(environ_of([('PATH_INFO', '/x')])[0]['SCRIPT_NAME'], '')
        self.assertEqual(environ_of([('SCRIPT_NAME', '/app'), ('PATH_INFO', '/x')])[0]['SCRIPT_NAME'], '/app')
        self.assertEqual(environ_of([('SCRIPT_NAME', '')])[0]['SCRIPT_NAME'], '')

    def test_url_scheme(self):
        cases = [
            ([], 'http'),
            ([('HTTPS', 'on')], 'https'), ([('HTTPS', 'ON')], 'https'), ([('HTTPS', 'On')], 'https'),
            ([('HTTPS', 'one')], 'https'), ([('HTTPS', '1')], 'https'), ([('HTTPS', '10')], 'https'),
            ([('HTTPS', 'off')], 'http'), ([('HTTPS', '0')], 'http'), ([('HTTPS', '')], 'http'),
            ([('HTTPS', 'yes')], 'http'), ([('HTTPS', ' on')], 'http'), ([('HTTPS', 'o')], 'http'),
            ([('REQUEST_SCHEME', 'https')], 'https'), ([('REQUEST_SCHEME', 'HTTPS')], 'https'),
            ([('REQUEST_SCHEME', 'http')], 'http'), ([('REQUEST_SCHEME', 'https ')], 'http'),
            ([('REQUEST_SCHEME', 'ws')], 'http'),
            ([('HTTPS', 'on'), ('HTTPS', 'off')], 'http'), ([('HTTPS', 'off'), ('HTTPS', 'on')], 'https'),
            ([('REQUEST_SCHEME', 'https'), ('REQUEST_SCHEME', 'http')], 'http'),
            # either one says https: they do not cancel each other, whatever the order
            ([('REQUEST_SCHEME', 'http'), ('HTTPS', 'on')], 'https'),
            ([('HTTPS', 'on'), ('REQUEST_SCHEME', 'http')], 'https'),
            ([('REQUEST_SCHEME', 'https'), ('HTTPS', 'off')], 'https'),
            ([('HTTPS', 'off'), ('REQUEST_SCHEME', 'https')], 'https'),
            ([('UWSGI_SCHEME', 'https')], 'http'), ([('HTTP_X_FORWARDED_PROTO', 'https')], 'http'),
        ]
        for pairs, scheme in cases:
            with self.subTest(pairs=pairs):
                self.assertEqual(environ_of(pairs)[0]['wsgi.url_scheme'], scheme)

    def test_https_and_request_scheme_reach_the_app(self):
        environ, _ = environ_of(nginx_vars(https=True))
        self.assertEqual((environ['HTTPS'], environ['REQUEST_SCHEME'], environ['wsgi.url_scheme']),
                         ('on', 'https', 'https'))

    def test_nul_byte(self):
        cases = [
            ([('A\0B', 'x')], 'the var "A\\u0000B" contains a NUL byte'),
            ([('PATH_INFO', '/a\0b')], 'the var "PATH_INFO" contains a NUL byte'),
            ([('\0', '')], 'the var "\\u0000" contains a NUL byte'),
            ([('HTTP_X', 'ok'), ('HTTP_Y', '\0')], 'the var "HTTP_Y" contains a NUL byte'),
            # checked before a key is dropped
            ([('UWSGI_FILE', 'a\0')], 'the var "UWSGI_FILE" contains a NUL byte'),
            ([('UWSGI_\0', 'x')], 'the var "UWSGI_\\u0000" contains a NUL byte'),
            ([('HTTP_CONTENT_TYPE', '\0')], 'the var "HTTP_CONTENT_TYPE" contains a NUL byte'),
            ([('a.b', '\0')], 'the var "a.b" contains a NUL byte'),
            ([('REMOTE_ADDR', '10.0.0.1\0')], 'the var "REMOTE_ADDR" contains a NUL byte'),
            ([('CONTENT_LENGTH', '1\0')], 'the var "CONTENT_LENGTH" contains a NUL byte'),
            ([('HTTP_"Q"', '\0')], 'the var "HTTP_\\"Q\\"" contains a NUL byte'),
        ]
        for pairs, message in cases:
            with self.subTest(pairs=pairs):
                with self.assertRaises(BadVars) as caught:
                    environ_of(pairs)
                self.assertEqual(str(caught.exception), message)

    def test_nul_byte_key_asked_twice(self):
        # the kinds of keys are remembered: a NUL key must not be remembered as harmless
        for _ in range(3):
            with self.assertRaises(BadVars):
                environ_of([('K\0', 'v')])

    def test_bad_content_length(self):
        for value, shown in (('x', '"x"'), ('-1', '"-1"'), ('+1', '"+1"'), (' 1', '" 1"'), ('1 ', '"1 "'),
                             ('1.0', '"1.0"'), ('0x10', '"0x10"'), ('1e3', '"1e3"'), ('5\t', '"5\\t"'),
                             ('1' * 16, '"%s"' % ('1' * 16))):
            with self.subTest(value=value):
                with self.assertRaises(BadVars) as caught:
                    environ_of([('CONTENT_LENGTH', value)])
                self.assertEqual(str(caught.exception), 'CONTENT_LENGTH %s is not a length' % shown)
        # digits that are not ASCII: superscripts (latin-1), an Arabic-Indic one (its UTF-8 bytes)
        for value in (b'\xb2', b'\xb9\xb2', b'1\xb3', '\u0661'.encode('utf-8')):
            with self.subTest(value=value):
                with self.assertRaises(BadVars):
                    environ_of([('CONTENT_LENGTH', value)])

    def test_content_length(self):
        for value, length in (('', 0), ('0', 0), ('5', 5), ('007', 7), ('9' * 15, 999999999999999),
                              ('65536', 65536)):
            with self.subTest(value=value):
                environ, got = environ_of([('CONTENT_LENGTH', value)])
                self.assertEqual(got, length)
                self.assertEqual(environ['CONTENT_LENGTH'], value)
        self.assertEqual(environ_of([('REQUEST_METHOD', 'POST')])[1], 0)

    def test_malformed_blocks_raise_uwsgi_error(self):
        with self.assertRaises(UwsgiError):
            data = raw_packet(bytes([1, 0, 65]))
            request_environ(data, len(data), AddressList(['127.0.0.1']))

    def test_values_are_latin1(self):
        environ, _ = environ_of([('PATH_INFO', b'/caf\xc3\xa9'), ('HTTP_X', b'\xff')])
        self.assertEqual(environ['PATH_INFO'], '/caf\xc3\xa9')
        self.assertEqual(environ['HTTP_X'], '\xff')

    def test_many_distinct_keys(self):
        # past the size of the remembered kinds of keys, the answers stay the same
        for round_ in range(3):
            pairs = [('HTTP_K%d_%d' % (round_, i), 'v') for i in range(900)] + [
                ('UWSGI_FILE', 'x'), ('HTTP_CONTENT_LENGTH', '1'), ('CONTENT_LENGTH', '2')]
            environ, length = environ_of(pairs)
            self.assertEqual(length, 2)
            self.assertEqual(len(environ), 900 + 3)
            self.assertNotIn('UWSGI_FILE', environ)
            self.assertNotIn('HTTP_CONTENT_LENGTH', environ)


class TrustedProxiesEnvironTest(unittest.TestCase):
    trusted = AddressList(['127.0.0.1', '10.0.0.0/8'])

    def seen(self, remote_addr, headers, https=False, trusted=trusted):
        pairs = nginx_vars(uri='/proxied', remote_addr=remote_addr, https=https, headers=[('Host', 'x')] + headers)
        environ, _ = environ_of(pairs, trusted)
        return environ.get('REMOTE_ADDR'), environ['wsgi.url_scheme'], environ.get('HTTP_X_FORWARDED_FOR')

    def test_without_trusted_proxies_nothing_changes(self):
        headers = [('X-Forwarded-For', '203.0.113.7'), ('X-Forwarded-Proto', 'https')]
        self.assertEqual(self.seen('10.0.0.2', headers, trusted=None), ('10.0.0.2', 'http', '203.0.113.7'))
        self.assertEqual(self.seen('10.0.0.2', headers, trusted=AddressList([])), ('10.0.0.2', 'http', '203.0.113.7'))

    def test_trusted_remote_addr(self):
        headers = [('X-Forwarded-For', '203.0.113.9'), ('X-Forwarded-Proto', 'https')]
        self.assertEqual(self.seen('10.0.0.2', headers), ('203.0.113.9', 'https', '203.0.113.9'))
        self.assertEqual(self.seen('127.0.0.1', headers), ('203.0.113.9', 'https', '203.0.113.9'))
        self.assertEqual(self.seen('::ffff:10.0.0.2', headers), ('203.0.113.9', 'https', '203.0.113.9'))

    def test_untrusted_remote_addr(self):
        headers = [('X-Forwarded-For', '203.0.113.9'), ('X-Forwarded-Proto', 'https')]
        self.assertEqual(self.seen('192.0.2.50', headers), ('192.0.2.50', 'http', '203.0.113.9'))
        self.assertEqual(self.seen('', headers), (None, 'http', '203.0.113.9'))
        self.assertEqual(self.seen('127.0.0.2', headers), ('127.0.0.2', 'http', '203.0.113.9'))

    def test_forwarded_proto_http_wins_over_https_on(self):
        self.assertEqual(self.seen('10.0.0.2', [('X-Forwarded-Proto', 'http')], https=True)[:2], ('10.0.0.2', 'http'))

    def test_rightmost_untrusted_address(self):
        headers = [('X-Forwarded-For', '192.0.2.66, 198.51.100.1, 10.1.2.3')]
        self.assertEqual(self.seen('10.0.0.2', headers)[0], '198.51.100.1')

    def test_headers_saying_nothing_usable(self):
        headers = [('X-Forwarded-For', 'unknown'), ('X-Forwarded-Proto', 'gopher')]
        self.assertEqual(self.seen('127.0.0.1', headers, https=True), ('127.0.0.1', 'https', 'unknown'))

    def test_each_header_alone(self):
        self.assertEqual(self.seen('10.0.0.2', [('X-Forwarded-Proto', 'https')]), ('10.0.0.2', 'https', None))
        self.assertEqual(self.seen('10.0.0.2', [('X-Forwarded-For', '203.0.113.1')], https=True),
                         ('203.0.113.1', 'https', '203.0.113.1'))

    def test_the_last_forwarded_headers_count(self):
        headers = [('X-Forwarded-For', '203.0.113.1'), ('X-Forwarded-Proto', 'http'),
                   ('X-Forwarded-For', '203.0.113.2'), ('X-Forwarded-Proto', 'https')]
        self.assertEqual(self.seen('10.0.0.2', headers), ('203.0.113.2', 'https', '203.0.113.2'))

    def test_the_last_remote_addr_is_the_one_checked(self):
        pairs = [('REMOTE_ADDR', '10.0.0.2'), ('REMOTE_ADDR', '192.0.2.50'), ('HTTP_X_FORWARDED_FOR', '203.0.113.1')]
        self.assertEqual(environ_of(pairs, self.trusted)[0]['REMOTE_ADDR'], '192.0.2.50')
        pairs = [('REMOTE_ADDR', '192.0.2.50'), ('REMOTE_ADDR', '10.0.0.2'), ('HTTP_X_FORWARDED_FOR', '203.0.113.1')]
        self.assertEqual(environ_of(pairs, self.trusted)[0]['REMOTE_ADDR'], '203.0.113.1')

    def test_forwarded_headers_before_remote_addr(self):
        pairs = [('HTTP_X_FORWARDED_FOR', '203.0.113.1'), ('HTTP_X_FORWARDED_PROTO', 'https'), ('REMOTE_ADDR', '10.0.0.2')]
        environ, _ = environ_of(pairs, self.trusted)
        self.assertEqual((environ['REMOTE_ADDR'], environ['wsgi.url_scheme']), ('203.0.113.1', 'https'))


class ResponseProtocolTest(unittest.TestCase):
    def test_http_versions_are_echoed(self):
        for protocol in ('HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/0.9', 'HTTP/9.9'):
            self.assertEqual(response_protocol({'SERVER_PROTOCOL': protocol}), protocol)

    def test_anything_else_is_http_1_0(self):
        for protocol in ('', 'HTTP/1.10', 'HTTP/1', 'HTTP/11', 'HTTPS/1.1', 'http/1.1', 'HTTP/1,1', 'HTTP/a.1',
                         'HTTP/1.b', 'HTTP/1.1 ', ' HTTP/1.1', 'HTTP/\xb9.1', 'HTTP/1.\xb2', 'SPDY/3.1', 'HTTP/2'):
            with self.subTest(protocol=protocol):
                self.assertEqual(response_protocol({'SERVER_PROTOCOL': protocol}), 'HTTP/1.0')
        self.assertEqual(response_protocol({}), 'HTTP/1.0')

    def test_from_request_environ(self):
        environ, _ = request_environ(STREAM, len(PACKET), None)
        self.assertEqual(response_protocol(environ), 'HTTP/1.1')


class FuzzTest(unittest.TestCase):
    """Random and mutated input: head_size answers None, a size or UwsgiError; request_environ a
    (dict, int), UwsgiError or BadVars; nothing else escapes."""

    ROUNDS = 3000
    KEYS = ('REQUEST_METHOD', 'PATH_INFO', 'QUERY_STRING', 'CONTENT_LENGTH', 'CONTENT_TYPE', 'REMOTE_ADDR',
            'HTTPS', 'REQUEST_SCHEME', 'SCRIPT_NAME', 'SERVER_PROTOCOL', 'HTTP_X_FORWARDED_FOR',
            'HTTP_X_FORWARDED_PROTO', 'HTTP_CONTENT_TYPE', 'HTTP_CONTENT_LENGTH', 'UWSGI_FILE', 'wsgi.input', 'HTTP_HOST')
    VALUES = ('', '0', '5', '-1', '1' * 16, 'on', '1', 'https', 'http', 'HTTP/1.1', '10.0.0.2', '127.0.0.1',
              '::ffff:10.0.0.2', '203.0.113.7, 10.0.0.1', 'unknown, 10.0.0.3', ',', 'http, https', 'gopher',
              '\0', '\xb2', '::1', 'fd00::1', 'unix')
    TRUSTED = (None, AddressList([]), AddressList(['10.0.0.0/8', '127.0.0.1', '::1', 'unix']), AddressList(['::/0']))

    def random_bytes(self, rng, size):
        return bytes(rng.getrandbits(8) for _ in range(size))

    def random_pairs(self, rng):
        pairs = []
        for _ in range(rng.randrange(0, 24)):
            key = rng.choice(self.KEYS) if rng.random() < 0.7 else self.random_bytes(rng, rng.randrange(0, 12))
            if rng.random() < 0.7:
                value = rng.choice(self.VALUES)
            else:
                value = self.random_bytes(rng, rng.randrange(0, 40))
            pairs.append((key, value))
        return pairs

    def mutate(self, rng, kind):
        """An input of the given kind: random bytes, or a valid packet broken one way."""
        packet = encode_packet(self.random_pairs(rng) if rng.random() < 0.8 else VARS)
        if kind == 0:  # random bytes, mostly with a WSGI modifier1
            data = bytearray(self.random_bytes(rng, rng.randrange(0, 64)))
            if data and rng.random() < 0.7:
                data[0] = 0
            if len(data) > 2 and rng.random() < 0.5:
                struct.pack_into('<H', data, 1, max(0, len(data) - 4 + rng.randrange(-3, 4)))
            return bytes(data)
        data = bytearray(packet + BODY)
        if kind == 1:  # flipped bytes
            for _ in range(rng.randrange(1, 5)):
                data[rng.randrange(len(data))] = rng.getrandbits(8)
        elif kind == 2:  # cut short
            del data[rng.randrange(len(data) + 1):]
        elif kind == 3:  # lying datasize
            struct.pack_into('<H', data, 1, rng.choice((0, 1, 2, 3, rng.randrange(0, len(data) + 50), 0xffff)))
        elif kind == 4:  # a lying key or value length inside the block
            if len(packet) > 5:
                at = rng.randrange(4, len(packet) - 1)
                length = rng.choice((0, 1, 0xffff, rng.randrange(0, 64), rng.randrange(0, 0x10000)))
                struct.pack_into('<H', data, at, length)
        else:  # garbage appended inside the block
            garbage = self.random_bytes(rng, rng.randrange(1, 20))
            data = bytearray(packet + garbage)
            struct.pack_into('<H', data, 1, len(data) - 4)
        return bytes(data)

    def check(self, data, max_datasize, trusted):
        try:
            size = head_size(data, max_datasize)
        except UwsgiError as exc:
            self.assertIn(exc.code, ERROR_CODES)
            self.assertGreaterEqual(len(data), 4)
            return
        if size is None:
            self.assertLess(len(data), 4)
            return
        self.assertIsInstance(size, int)
        self.assertTrue(4 <= size <= 4 + min(max_datasize, MAX_DATASIZE))
        if len(data) < size:
            return
        try:
            pairs = parse_vars(data, size)
        except UwsgiError as exc:
            self.assertIn(exc.code, ('EMPTY_KEY', 'TRUNCATED_VAR', 'TOO_MANY_VARS'))
            pairs = exc
        else:
            self.assertIsInstance(pairs, list)
            self.assertTrue(all(type(key) is str and type(value) is str and key for key, value in pairs))
        try:
            environ, length = request_environ(data, size, trusted)
        except UwsgiError as exc:
            # the same block fails the same way
            self.assertIsInstance(pairs, UwsgiError)
            self.assertEqual(exc.code, pairs.code)
            return
        except BadVars as exc:
            # the vars are read in order: a bad var before the place the block breaks is found first
            # (a 400 either way; the old TypeScript parsed the whole block first)
            self.assertTrue(str(exc))
            return
        self.assertNotIsInstance(pairs, UwsgiError)
        self.assertIsInstance(environ, dict)
        self.assertIs(type(length), int)
        self.assertGreaterEqual(length, 0)
        self.assertIn(environ['wsgi.url_scheme'], ('http', 'https'))
        self.assertIn('SCRIPT_NAME', environ)
        self.assertTrue(all(type(key) is str and type(value) is str and '\0' not in key + value
                            for key, value in environ.items()))
        self.assertFalse(any(key.startswith('UWSGI_') for key in environ))
        self.assertEqual([key for key in environ if '.' in key], ['wsgi.url_scheme'])
        response_protocol(environ)

    def test_random_and_mutated_input(self):
        rng = random.Random(20240611)
        for round_ in range(self.ROUNDS):
            data = self.mutate(rng, round_ % 6)
            max_datasize = rng.choice((16, 4096, 65535, 1024 * 1024))
            trusted = rng.choice(self.TRUSTED)
            try:
                self.check(data, max_datasize, trusted)
                # and a prefix, as the head arrives
                self.check(data[:rng.randrange(len(data) + 1)], max_datasize, trusted)
            except Exception as exc:  # the input, to reproduce the failure
                raise AssertionError('round %d, max_datasize %d, trusted %r, input %r: %r'
                                     % (round_, max_datasize, trusted and trusted._networks, data, exc)) from exc


if __name__ == '__main__':
    unittest.main()
