"""Checks on start_response's status and headers, and the head block (docs/channel.md)."""

import unittest

from nuwsgi_worker.headers import check_status, head_fields


def encode_head(status, headers):
    """The RESPONSE_HEAD payload of these headers, as the channel sink joins them."""
    fields, length = head_fields(status, headers)
    return "\0".join(fields).encode("latin-1"), length


class StatusTest(unittest.TestCase):
    def test_valid(self):
        for status in ('200 OK', '404 Not Found', '599 Whatever, with\ttab', '100 Continue', '999 x',
                       '200 ', '200 Caf\xe9'):
            check_status(status)

    def test_not_a_str(self):
        with self.assertRaisesRegex(TypeError, 'status must be a str'):
            check_status(b'200 OK')
        with self.assertRaises(TypeError):
            check_status(200)

    def test_malformed(self):
        for status in ('200', '200OK', '20 OK', '2000 OK', '099 Low', 'abc OK', ' 200 OK', '200 OK\r\nX: y',
                       '200 OK\n', '200 O\x00K', '200 \u0100', ''):
            with self.assertRaises(ValueError, msg=repr(status)):
                check_status(status)


class HeadTest(unittest.TestCase):
    def test_block_layout(self):
        block, length = encode_head('200 OK', [('Content-Type', 'text/plain'), ('X-A', '')])
        self.assertEqual(block, b'200 OK\0Content-Type\0text/plain\0X-A\0')
        self.assertIsNone(length)

    def test_no_headers(self):
        self.assertEqual(encode_head('204 No Content', []), (b'204 No Content', None))

    def test_repeated_headers_keep_their_order(self):
        block, _ = encode_head('200 OK', [('Set-Cookie', 'a=1'), ('X', 'y'), ('Set-Cookie', 'b=2')])
        self.assertEqual(block, b'200 OK\0Set-Cookie\0a=1\0X\0y\0Set-Cookie\0b=2')

    def test_latin1_values(self):
        block, _ = encode_head('200 OK', [('X-Name', 'Jos\xe9')])
        self.assertEqual(block, b'200 OK\0X-Name\0Jos\xe9')

    def test_content_length(self):
        self.assertEqual(encode_head('200 OK', [('content-length', ' 42 ')]), (b'200 OK\0content-length\x0042', 42))
        self.assertEqual(encode_head('200 OK', [('Content-Length', '0')])[1], 0)
        for bad in ('-1', 'abc', '1.5', '', '0x10'):
            with self.assertRaisesRegex(ValueError, 'Content-Length', msg=bad):
                encode_head('200 OK', [('Content-Length', bad)])
        with self.assertRaisesRegex(ValueError, 'more than one Content-Length'):
            encode_head('200 OK', [('Content-Length', '1'), ('Content-Length', '1')])

    def test_hop_by_hop_headers_are_dropped(self):
        headers = [('Connection', 'keep-alive'), ('Keep-Alive', 'timeout=5'), ('Proxy-Authenticate', 'x'),
                   ('Proxy-Authorization', 'x'), ('TE', 'trailers'), ('Trailers', 'X'),
                   ('Transfer-Encoding', 'chunked'), ('Upgrade', 'h2c'), ('X-Kept', 'yes')]
        self.assertEqual(encode_head('200 OK', headers)[0], b'200 OK\0X-Kept\0yes')

    def test_connection_close_is_passed_on(self):
        for value in ('close', 'Close', 'keep-alive, close', ' CLOSE '):
            block, _ = encode_head('200 OK', [('X', '1'), ('connection', value)])
            self.assertEqual(block, b'200 OK\0X\x001\0Connection\0close', value)

    def test_headers_must_be_a_list(self):
        for headers in ((('A', 'b'),), {'A': 'b'}, None, 'A: b'):
            with self.assertRaisesRegex(TypeError, 'must be a list', msg=repr(headers)):
                encode_head('200 OK', headers)

    def test_each_header_must_be_a_pair_of_str(self):
        for header in (['A', 'b'], ('A',), ('A', 'b', 'c'), 'A: b', ('A', 1), (b'A', 'b'), ('A', b'b'), None):
            with self.assertRaises(TypeError, msg=repr(header)):
                encode_head('200 OK', [header])

    def test_names_must_be_tokens(self):
        for name in ('', 'A B', 'A:', 'A\r\nB', 'Caf\xe9', 'A(b)', 'A\0', 'A/b', '"A"'):
            with self.assertRaisesRegex(ValueError, 'not a valid HTTP token', msg=repr(name)):
                encode_head('200 OK', [(name, 'v')])
        encode_head('200 OK', [("!#$%&'*+-.^_`|~09azAZ", 'v')])

    def test_repeated_calls_give_the_same_answers(self):
        """Checked headers are remembered: the second time must behave exactly as the first."""
        headers = [('Content-Type', 'text/plain'), ('Content-Length', '7'), ('Connection', 'close'),
                   ('Keep-Alive', 'timeout=5')]
        first = encode_head('200 OK', headers)
        self.assertEqual(first, (b'200 OK\0Content-Type\0text/plain\0Content-Length\x007\0Connection\0close', 7))
        self.assertEqual(encode_head('200 OK', list(headers)), first)
        with self.assertRaisesRegex(ValueError, 'more than one Content-Length'):
            encode_head('200 OK', [('Content-Length', '7'), ('Content-Length', '7')])
        for _ in range(2):
            with self.assertRaises(ValueError):
                encode_head('200 OK', [('Content-Type', 'text/plain'), ('X', 'a\nb')])

    def test_values_without_control_characters(self):
        for value in ('a\r\nSet-Cookie: x=1', 'a\nb', 'a\rb', 'a\0b', 'a\x01b', 'a\x7fb', '\u20ac'):
            with self.assertRaisesRegex(ValueError, 'not allow', msg=repr(value)):
                encode_head('200 OK', [('X', value)])
        encode_head('200 OK', [('X', 'tab\tand space and \xff')])


if __name__ == '__main__':
    unittest.main()
