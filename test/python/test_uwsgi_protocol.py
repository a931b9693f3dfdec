"""The uwsgi protocol without I/O (python/nuwsgi_worker/uwsgi_protocol.py): head_size on the 4-byte
header (partial data, other protocols, sizes), parse_vars on the vars block (every way it can be
malformed), and random and mutated input. The environ the vars become: test_uwsgi_environ.py."""

import random
import struct
import unittest

from .uwsgi_packets import BODY, ErrorAssertions, PACKET, STREAM, VARS, encode_packet, encode_vars, raw_packet
from nuwsgi_worker.peers import AddressList  # noqa: E402  (uwsgi_packets puts python/ on sys.path)
from nuwsgi_worker.uwsgi_protocol import (  # noqa: E402
    MAX_DATASIZE, MAX_VARS, BadVars, UwsgiError, head_size, parse_vars, request_environ, response_protocol,
)

ERROR_CODES = frozenset((
    'LOOKS_LIKE_HTTP', 'LOOKS_LIKE_TLS', 'UNSUPPORTED_MODIFIER', 'HEAD_TOO_LARGE', 'EMPTY_KEY', 'TRUNCATED_VAR',
    'TOO_MANY_VARS',
))


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
