"""Who is believed (python/nuwsgi_worker/peers.py, the rules of the master's
src/config/address-list.ts and src/listeners/peers.ts): AddressList (addresses, networks, IPv6,
`unix`, IPv4-mapped IPv6 peers, text that is not an address) and forwarded_origin (X-Forwarded-For
read from the right, X-Forwarded-Proto's last value)."""

import unittest

from .fake_master import PYTHON_DIR  # noqa: F401  (puts python/ on sys.path)
from nuwsgi_worker.peers import AddressList, forwarded_origin


class AddressListTest(unittest.TestCase):
    def assertHas(self, entries, inside=(), outside=()):
        addresses = AddressList(entries)
        for address in inside:
            self.assertTrue(addresses.has(address), '%r should be in %r' % (address, entries))
        for address in outside:
            self.assertFalse(addresses.has(address), '%r should not be in %r' % (address, entries))

    def test_an_address(self):
        self.assertHas(['192.0.2.1'], inside=['192.0.2.1'], outside=['192.0.2.2', '192.0.2.0', '::1'])

    def test_a_network(self):
        self.assertHas(['10.0.0.0/8'], inside=['10.0.0.0', '10.1.2.3', '10.255.255.255'],
                       outside=['11.0.0.0', '9.255.255.255', '110.0.0.1'])
        self.assertHas(['192.168.1.0/24'], inside=['192.168.1.77'], outside=['192.168.2.1'])
        self.assertHas(['192.0.2.1/32'], inside=['192.0.2.1'], outside=['192.0.2.2'])

    def test_a_network_with_host_bits_is_its_network(self):
        self.assertHas(['10.0.0.1/8'], inside=['10.200.0.1'], outside=['11.0.0.1'])

    def test_everyone(self):
        self.assertHas(['0.0.0.0/0'], inside=['1.2.3.4', '255.255.255.255', '::ffff:1.2.3.4'], outside=['::1'])
        # as node's BlockList: an IPv4 address is also ::ffff:a.b.c.d
        self.assertHas(['::/0'], inside=['::1', 'fe80::1', '1.2.3.4'])
        self.assertHas(['0.0.0.0/0', '::/0'], inside=['1.2.3.4', '::1'])

    def test_several_entries(self):
        self.assertHas(['127.0.0.1', '10.0.0.0/8', '::1'], inside=['127.0.0.1', '10.9.9.9', '::1'],
                       outside=['127.0.0.2', '192.0.2.1', '::2'])

    def test_ipv6(self):
        self.assertHas(['::1'], inside=['::1', '0:0:0:0:0:0:0:1', '0000::0001'], outside=['::2', '127.0.0.1'])
        self.assertHas(['fd00::/8'], inside=['fd12:3456::1', 'FD12::1', 'fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
                       outside=['fe80::1', 'fc00::1', '::1'])
        self.assertHas(['2001:db8::/32'], inside=['2001:db8::', '2001:0db8:ffff::1'], outside=['2001:db9::1'])

    def test_ipv4_mapped_peers_match_ipv4_entries(self):
        # a dual-stack socket sees IPv4 peers as ::ffff:a.b.c.d
        self.assertHas(['10.0.0.0/8'], inside=['::ffff:10.1.2.3', '::ffff:a01:203', '::FFFF:10.1.2.3'],
                       outside=['::ffff:11.0.0.1', '::10.1.2.3', '64:ff9b::10.1.2.3'])
        self.assertHas(['127.0.0.1'], inside=['::ffff:127.0.0.1'], outside=['::ffff:127.0.0.2', '::1'])

    def test_ipv4_mapped_entries_match_ipv4_peers(self):
        # as node's BlockList, for the same answers as the master's
        self.assertHas(['::ffff:10.0.0.1'], inside=['10.0.0.1', '::ffff:10.0.0.1'], outside=['10.0.0.2'])
        self.assertHas(['::ffff:10.0.0.0/104'], inside=['10.9.9.9', '::ffff:10.9.9.9'], outside=['11.0.0.1'])

    def test_ipv6_peers_are_not_in_ipv4_networks(self):
        self.assertHas(['127.0.0.0/8'], inside=['127.0.0.1'], outside=['::1', '::127.0.0.1', '7f00::1'])

    def test_unix(self):
        """`unix` names peers on unix sockets: no address is one."""
        addresses = AddressList(['unix', '127.0.0.1'])
        self.assertFalse(addresses.empty)
        self.assertTrue(addresses.has('127.0.0.1'))
        self.assertFalse(addresses.has('unix'))
        self.assertFalse(addresses.has(''))
        only = AddressList(['unix'])
        self.assertFalse(only.empty)
        self.assertFalse(only.has('127.0.0.1'))

    def test_empty(self):
        addresses = AddressList([])
        self.assertTrue(addresses.empty)
        for address in ('127.0.0.1', '::1', '', 'unix'):
            self.assertFalse(addresses.has(address))

    def test_text_that_is_not_an_address(self):
        self.assertHas(['0.0.0.0/0', '::/0', 'unix'], outside=[
            '', ' ', 'unix', 'localhost', 'example.com', '10.1.2', '10.1.2.3.4', '10.1.2.256', ' 10.1.2.3',
            '10.1.2.3 ', '10.1.2.3:80', '[::1]', '[::1]:80', '::1::2', ':::1', '10.0.0.0/8', '::/0', '0x0a.0.0.1',
            '10.1.2.3,10.1.2.4', 'caf\xe9', '\0', '1' * 50,
        ])

    def test_answers_stay_right_when_remembered(self):
        addresses = AddressList(['10.0.0.0/8'])
        for _ in range(2):
            self.assertTrue(addresses.has('10.0.0.1'))
            self.assertFalse(addresses.has('11.0.0.1'))
        # more peers than are remembered
        for i in range(2500):
            address = '10.%d.%d.1' % (i // 256, i % 256) if i % 2 else '11.%d.%d.1' % (i // 256, i % 256)
            self.assertEqual(addresses.has(address), bool(i % 2), address)
        self.assertTrue(addresses.has('10.0.0.1'))
        self.assertFalse(addresses.has('11.0.0.1'))


class ForwardedOriginTest(unittest.TestCase):
    trusted = AddressList(['127.0.0.1', '10.0.0.0/8', '::1'])

    def origin(self, forwarded_for=None, forwarded_proto=None, remote_addr='10.0.0.2', scheme='http'):
        return forwarded_origin(self.trusted, remote_addr, scheme, forwarded_for, forwarded_proto)

    def client(self, forwarded_for):
        return self.origin(forwarded_for)[0]

    def test_no_headers(self):
        self.assertEqual(self.origin(), ('10.0.0.2', 'http'))
        self.assertEqual(self.origin(scheme='https'), ('10.0.0.2', 'https'))

    def test_one_address(self):
        self.assertEqual(self.origin('203.0.113.7', 'https'), ('203.0.113.7', 'https'))
        self.assertEqual(self.client('2001:db8::1'), '2001:db8::1')

    def test_the_rightmost_untrusted_entry_wins(self):
        # the client wrote the first entry itself: only what trusted proxies appended counts
        self.assertEqual(self.client('192.0.2.66, 198.51.100.1, 10.1.2.3'), '198.51.100.1')
        self.assertEqual(self.client('192.0.2.66, 198.51.100.1'), '198.51.100.1')
        self.assertEqual(self.client('198.51.100.1, 10.0.0.3, ::1, 127.0.0.1'), '198.51.100.1')
        self.assertEqual(self.client('2001:db8::1, ::1'), '2001:db8::1')
        self.assertEqual(self.client('198.51.100.1,10.0.0.1'), '198.51.100.1')
        self.assertEqual(self.client('  198.51.100.1 ,\t10.0.0.1  '), '198.51.100.1')

    def test_the_leftmost_when_every_entry_is_trusted(self):
        self.assertEqual(self.client('10.0.0.1, 10.0.0.2'), '10.0.0.1')
        self.assertEqual(self.client('127.0.0.1'), '127.0.0.1')

    def test_a_rightmost_entry_that_is_not_an_address_says_nothing(self):
        for forwarded_for in ('unknown', '', ' ', ',', '203.0.113.7, unknown', '203.0.113.7,', 'a, b',
                              '203.0.113.7:1234', '[2001:db8::1]', '203.0.113.7 10.0.0.1', '_hidden', 'caf\xe9'):
            with self.subTest(forwarded_for=forwarded_for):
                self.assertEqual(self.client(forwarded_for), '10.0.0.2')

    def test_whitespace_is_what_javascript_trims(self):
        for space in ' \t\n\v\f\r\xa0':
            with self.subTest(space=space):
                self.assertEqual(self.origin(space + '203.0.113.7' + space, space + 'https' + space),
                                 ('203.0.113.7', 'https'))
        # not whitespace to the master: the entry is not an address, the value not a scheme
        for other in '\x1c\x1d\x1e\x1f\x85\x00':
            with self.subTest(other=other):
                self.assertEqual(self.origin('203.0.113.7' + other, 'https' + other), ('10.0.0.2', 'http'))
                self.assertEqual(self.origin(other + '203.0.113.7', other + 'https'), ('10.0.0.2', 'http'))

    def test_garbage_left_of_trusted_proxies_stops_the_walk(self):
        # the last address read is the client: the trusted proxy that wrote the rightmost entry
        self.assertEqual(self.client('198.51.100.1, garbage, 10.0.0.3'), '10.0.0.3')
        self.assertEqual(self.client('198.51.100.1, , 10.0.0.3, 10.0.0.4'), '10.0.0.3')
        # garbage further left than the client does not matter
        self.assertEqual(self.client('garbage, 198.51.100.1, 10.0.0.3'), '198.51.100.1')

    def test_ipv4_mapped_entries(self):
        self.assertEqual(self.client('198.51.100.1, ::ffff:10.0.0.3'), '198.51.100.1')
        self.assertEqual(self.client('::ffff:198.51.100.1'), '::ffff:198.51.100.1')

    def test_forwarded_proto(self):
        for forwarded_proto, scheme in (('https', 'https'), ('http', 'http'), ('HTTPS', 'https'), ('Http', 'http'),
                                        (' https ', 'https'), ('http, https', 'https'), ('https, http', 'http'),
                                        ('https,http', 'http'), ('gopher, https', 'https')):
            with self.subTest(forwarded_proto=forwarded_proto):
                self.assertEqual(self.origin(forwarded_proto=forwarded_proto, scheme='http')[1], scheme)
                self.assertEqual(self.origin(forwarded_proto=forwarded_proto, scheme='https')[1], scheme)

    def test_forwarded_proto_other_than_http_or_https_says_nothing(self):
        for forwarded_proto in ('', 'gopher', 'ws', 'wss', 'https, gopher', 'https,', 'http https', 'https:',
                                'httpss', 'on'):
            with self.subTest(forwarded_proto=forwarded_proto):
                self.assertEqual(self.origin(forwarded_proto=forwarded_proto, scheme='http')[1], 'http')
                self.assertEqual(self.origin(forwarded_proto=forwarded_proto, scheme='https')[1], 'https')

    def test_the_headers_are_independent(self):
        self.assertEqual(self.origin('unknown', 'https'), ('10.0.0.2', 'https'))
        self.assertEqual(self.origin('203.0.113.7', 'gopher', scheme='https'), ('203.0.113.7', 'https'))
        self.assertEqual(self.origin('203.0.113.7', None), ('203.0.113.7', 'http'))
        self.assertEqual(self.origin(None, 'https'), ('10.0.0.2', 'https'))

    def test_the_remote_addr_itself_is_not_checked(self):
        # the caller checks that the peer is trusted; forwarded_origin only reads the headers
        self.assertEqual(self.origin('203.0.113.7', remote_addr=''), ('203.0.113.7', 'http'))
        self.assertEqual(self.origin('unknown', remote_addr=''), ('', 'http'))


if __name__ == '__main__':
    unittest.main()
