"""The HTTP semantics of a static file on a uwsgi socket (python/nuwsgi_worker/static_http.py), as
the master's respond.ts has them from the fresh, range-parser and etag packages: 304, 412, 206,
416, If-Range, malformed and multiple ranges, HEAD, the expiry headers, the encoding choice, and the
JavaScript functions they lean on (Date.parse, toUTCString, parseInt, Number). The values are
what node gives for the same input."""

import math
import unittest

from .fake_master import PYTHON_DIR  # noqa: F401  (puts python/ on sys.path)
from nuwsgi_worker.static_http import FileMeta, accepts, choose_encoding, fresh, parse_range, respond_with_file  # noqa: E402
from nuwsgi_worker.static_js import js_integer_string, js_number, js_parse_int, js_utc_string, parse_http_date  # noqa: E402

# Wed, 21 Oct 2015 07:28:00.1235 GMT: the Date node makes of it is rounded to ...124 ms
MTIME_NS = 1445412480_123_500_000
LAST_MODIFIED = 'Wed, 21 Oct 2015 07:28:00 GMT'
NOW_MS = 1445412480_000 + 777
SIZE = 1000
ETAG = 'W/"3e8-150894c247c"'


class Stat:
    def __init__(self, size=SIZE, mtime_ns=MTIME_NS):
        self.st_size = size
        self.st_mtime_ns = mtime_ns


def meta(size=SIZE, **fields):
    return FileMeta(Stat(size), 'text/plain; charset=utf-8', **fields)


def respond(headers=None, method='GET', file=None):
    return respond_with_file(method, headers or {}, file or meta(), NOW_MS)


def head_of(result):
    head = result[1]
    return dict(zip(head[::2], head[1::2]))


class FileMetaTest(unittest.TestCase):
    def test_the_etag_packages_weak_stat_tag_and_the_http_date(self):
        m = meta()
        self.assertEqual(m.etag, ETAG)
        self.assertEqual(m.last_modified, LAST_MODIFIED)
        self.assertEqual(m.mtime_ms, 1445412480123.5)

    def test_the_date_is_the_mtime_rounded_to_the_millisecond(self):
        m = FileMeta(Stat(10, 1445412480_999_600_123), 'x')
        self.assertEqual(m.etag, 'W/"a-150894c27e8"')
        self.assertEqual(m.last_modified, 'Wed, 21 Oct 2015 07:28:01 GMT')

    def test_before_the_epoch(self):
        m = FileMeta(Stat(0, -1_000_000), 'x')
        self.assertEqual(m.etag, 'W/"0--1"')
        self.assertEqual(m.last_modified, 'Wed, 31 Dec 1969 23:59:59 GMT')


class ConditionalTest(unittest.TestCase):
    def test_if_none_match_with_the_tag_is_304_without_length(self):
        for tag in (ETAG, ETAG[2:], 'W/' + ETAG, '*', '"x", ' + ETAG, ' %s ,' % ETAG):
            result = respond({'HTTP_IF_NONE_MATCH': tag})
            self.assertEqual(result[0], 304, tag)
            self.assertEqual(result[2:], (0, 0))
            self.assertNotIn('Content-Length', head_of(result))
            self.assertEqual(head_of(result)['ETag'], ETAG)

    def test_if_none_match_with_another_tag_is_200(self):
        for tag in ('"x"', 'W/"3e8-150894c247d"', '* ', ' *', ','):
            self.assertEqual(respond({'HTTP_IF_NONE_MATCH': tag})[0], 200, tag)

    def test_if_none_match_wins_over_if_modified_since(self):
        self.assertEqual(respond({'HTTP_IF_NONE_MATCH': '"x"', 'HTTP_IF_MODIFIED_SINCE': LAST_MODIFIED})[0], 200)

    def test_an_empty_if_none_match_counts_as_absent(self):
        self.assertEqual(respond({'HTTP_IF_NONE_MATCH': '', 'HTTP_IF_MODIFIED_SINCE': LAST_MODIFIED})[0], 304)
        self.assertEqual(respond({'HTTP_IF_NONE_MATCH': ''})[0], 200)

    def test_if_modified_since(self):
        for since, status in ((LAST_MODIFIED, 304), ('Wed, 21 Oct 2015 07:28:01 GMT', 304),
                              ('Wed, 21 Oct 2015 07:27:59 GMT', 200), ('garbage', 200), ('', 200),
                              ('Wednesday, 21-Oct-15 07:28:00 GMT', 304), ('Wed Oct 21 07:28:00 2015', 304)):
            self.assertEqual(respond({'HTTP_IF_MODIFIED_SINCE': since})[0], status, since)

    def test_cache_control_no_cache_is_never_304(self):
        for value, status in (('no-cache', 200), ('max-age=0, no-cache', 200), (' no-cache ,x', 200),
                              ('no-cachex', 304), ('NO-CACHE', 304), ('', 304), ('max-age=0', 304)):
            self.assertEqual(respond({'HTTP_IF_NONE_MATCH': ETAG, 'HTTP_CACHE_CONTROL': value})[0], status, value)

    def test_if_match_that_names_no_current_tag_is_412(self):
        for tag, status in ((ETAG, 200), (ETAG[2:], 200), ('*', 200), (' * ', 200), ('"a", ' + ETAG[2:], 200),
                            ('"x"', 412), ('', 412), ('*, "x"', 412)):
            self.assertEqual(respond({'HTTP_IF_MATCH': tag})[0], status, tag)

    def test_if_unmodified_since(self):
        for since, status in ((LAST_MODIFIED, 200), ('Wed, 21 Oct 2015 07:27:59 GMT', 412), ('garbage', 200)):
            self.assertEqual(respond({'HTTP_IF_UNMODIFIED_SINCE': since})[0], status, since)

    def test_412_comes_before_304(self):
        self.assertEqual(respond({'HTTP_IF_MATCH': '"x"', 'HTTP_IF_NONE_MATCH': ETAG})[0], 412)


class RangeTest(unittest.TestCase):
    def range_of(self, value, size=SIZE, **more):
        return respond(dict({'HTTP_RANGE': value}, **more), file=meta(size))

    def test_one_range_is_206(self):
        for value, (start, end) in (('bytes=0-0', (0, 0)), ('bytes=-10', (990, 999)), ('bytes=990-', (990, 999)),
                                    ('bytes=5-2000', (5, 999)), (' bytes=1-2', (1, 2)), ('bytes=+1-2', (1, 2)),
                                    ('bytes=1', (1, 999)), ('bytes=1-2-3', (1, 2)), ('bytes= 1-2', (1, 2)),
                                    ('bytes=0-99999999999999999999', (0, 999)), ('bytes=0-5,x', (0, 5))):
            result = self.range_of(value)
            self.assertEqual(result[0], 206, value)
            self.assertEqual(result[2:], (start, end - start + 1), value)
            self.assertEqual(head_of(result)['Content-Range'], 'bytes %d-%d/%d' % (start, end, SIZE))
            self.assertEqual(head_of(result)['Content-Length'], str(end - start + 1))

    def test_overlapping_and_adjacent_ranges_are_combined(self):
        self.assertEqual(self.range_of('bytes=0-5,3-10')[2:], (0, 11))
        self.assertEqual(self.range_of('bytes=0-5,6-10')[2:], (0, 11))
        self.assertEqual(self.range_of('bytes=1-1,1-1')[2:], (1, 1))

    def test_several_ranges_or_a_malformed_one_get_the_whole_file(self):
        for value in ('bytes=0-5,20-30', 'bytes=0-5,2000-,8-9', 'bytes'):
            result = self.range_of(value)
            self.assertEqual(result[0:1] + result[2:], (200, 0, SIZE), value)
            self.assertNotIn('Content-Range', head_of(result))

    def test_other_units_are_ignored(self):
        for value in ('items=0-5', 'Bytes=0-5', '\tbytes=0-5'):
            self.assertEqual(self.range_of(value)[0], 200, value)

    def test_unsatisfiable_is_416_with_the_size(self):
        for value, size in (('bytes=2000-', SIZE), ('bytes=-0', SIZE), ('bytes=', SIZE), ('bytes=-', SIZE),
                            ('bytes=5-2', SIZE), ('bytes=0-', 0), ('bytes=abc', SIZE)):
            result = self.range_of(value, size)
            self.assertEqual(result[0], 416, value)
            self.assertEqual(result[2:], (0, 0))
            self.assertEqual(head_of(result)['Content-Range'], 'bytes */%d' % size)
            self.assertNotIn('Content-Length', head_of(result))

    def test_if_range_by_tag_or_by_date(self):
        for if_range, status in ((ETAG, 206), ('"x"', 200), (LAST_MODIFIED, 206), ('Thu, 01 Jan 2099 00:00:00 GMT', 206),
                                 ('Wed, 21 Oct 2015 07:27:59 GMT', 200), ('garbage', 200), ('', 200),
                                 ('x %s y"' % ETAG, 206)):
            self.assertEqual(self.range_of('bytes=0-9', HTTP_IF_RANGE=if_range)[0], status, if_range)

    def test_a_stale_if_range_turns_416_into_the_whole_file(self):
        self.assertEqual(self.range_of('bytes=2000-', HTTP_IF_RANGE='"x"')[0], 200)

    def test_head_declares_the_length_and_sends_nothing(self):
        result = respond({}, 'HEAD')
        self.assertEqual((result[0], result[3], head_of(result)['Content-Length']), (200, 0, str(SIZE)))
        result = respond({'HTTP_RANGE': 'bytes=1-5'}, 'HEAD')
        self.assertEqual((result[0], result[3], head_of(result)['Content-Length']), (206, 0, '5'))


class HeadTest(unittest.TestCase):
    def test_the_head_in_the_masters_order(self):
        result = respond(file=meta(encoding='br', varies=True, expires=(60, False)))
        self.assertEqual(result[1], [
            'Content-Type', 'text/plain; charset=utf-8', 'Last-Modified', LAST_MODIFIED, 'ETag', ETAG,
            'Accept-Ranges', 'bytes', 'Content-Encoding', 'br', 'Vary', 'Accept-Encoding',
            'Expires', 'Wed, 21 Oct 2015 07:29:00 GMT', 'Cache-Control', 'max-age=60', 'Content-Length', str(SIZE),
        ])

    def test_expires_from_the_mtime(self):
        head = head_of(respond(file=meta(expires=(60, True))))
        self.assertEqual(head['Expires'], 'Wed, 21 Oct 2015 07:29:00 GMT')
        self.assertEqual(head['Cache-Control'], 'max-age=59')
        head = head_of(respond(file=meta(expires=(0, True))))
        self.assertEqual(head['Cache-Control'], 'max-age=0')

    def test_an_expiry_past_javascripts_dates(self):
        head = head_of(respond(file=meta(expires=(10 ** 13, False))))
        self.assertEqual(head['Expires'], 'Invalid Date')
        self.assertEqual(head['Cache-Control'], 'max-age=10000000000000')


class EncodingTest(unittest.TestCase):
    def test_br_then_gzip(self):
        self.assertEqual(choose_encoding('gzip, br', True, True), 'br')
        self.assertEqual(choose_encoding('gzip, br', False, True), 'gzip')
        self.assertEqual(choose_encoding('br;q=0, gzip', True, True), 'gzip')
        self.assertEqual(choose_encoding('br', False, True), None)
        self.assertEqual(choose_encoding(None, True, True), None)
        self.assertEqual(choose_encoding('', True, True), None)

    def test_accepts(self):
        for value, coding, ok in (
                ('gzip', 'gzip', True), ('GZIP', 'gzip', True), (' gzip ;q=0.5', 'gzip', True), ('gzip;q=0', 'gzip', False),
                ('gzip;q=', 'gzip', False), ('gzip;q=abc', 'gzip', False), ('gzip;q=0x1', 'gzip', True),
                ('gzip;q=.5', 'gzip', True), ('gzip;q=0.000', 'gzip', False), ('gzip;Q=0', 'gzip', False),
                ('gzip;q=infinity', 'gzip', False), ('gzip;q=0;q=1', 'gzip', False),
                ('*', 'br', True), ('*;q=0', 'br', False), ('*, br;q=0', 'br', False), ('br;q=0, *', 'br', False),
                ('*;q=0, *', 'br', True), ('identity', 'br', False), ('gzip', 'br', False)):
            self.assertEqual(accepts(value, coding), ok, (value, coding))


class JavaScriptTest(unittest.TestCase):
    def test_parse_http_date(self):
        for text, ms in (
                (LAST_MODIFIED, 1445412480000), ('wed, 21 oct 2015 07:28:00 gmt', 1445412480000),
                ('Wednesday, 21-Oct-15 07:28:00 GMT', 1445412480000), ('Sun Nov  6 08:49:37 1994', 784111777000),
                ('Wed, 21 Oct 2015 07:28:00 +0100', 1445408880000), ('Wed, 21 Oct 2015 07:28:00 GMT-0130', 1445417880000),
                ('Wed, 31 Apr 2015 07:28:00 GMT', 1430465280000), ('Wed, 21 Oct 50 07:28:00 GMT', -605809920000),
                ('Wed, 21 Oct 0049 07:28:00 GMT', 2518414080000), ('2015-10-21', 1445385600000),
                ('2015-10-21T07:28:00.1Z', 1445412480100), ('2015-10-21T24:00:00Z', 1445472000000),
                ('garbage', None), ('', None), ('Wed, 32 Oct 2015 07:28:00 GMT', None),
                ('Wed, 21 Oct 2015 07:28:00GMT', None), ('Wed, 21 Oct 2015 07:28:00 GMT x', None),
                ('2015-13-01', None), ('2015-10-21T24:00:01Z', None)):
            self.assertEqual(parse_http_date(text), ms, text)

    def test_utc_string(self):
        self.assertEqual(js_utc_string(0), 'Thu, 01 Jan 1970 00:00:00 GMT')
        self.assertEqual(js_utc_string(-1), 'Wed, 31 Dec 1969 23:59:59 GMT')
        self.assertEqual(js_utc_string(-62198755200000), 'Fri, 01 Jan -0001 00:00:00 GMT')
        self.assertEqual(js_utc_string(1e15), 'Fri, 27 Sep 33658 01:46:40 GMT')
        self.assertEqual(js_utc_string(8.64e15 + 1), 'Invalid Date')

    def test_parse_int_and_number(self):
        self.assertEqual([js_parse_int(s) for s in ('5', ' 5x', '+5', '\xa05', '', 'x', ' ', '0x10')],
                         [5, 5, 5, 5, None, None, None, 0])
        self.assertEqual([js_number(s) for s in ('', ' 1 ', '0x10', '1e3', '.5', '1.', '-0', 'Infinity')],
                         [0, 1, 16, 1000, 0.5, 1, 0, math.inf])
        for text in ('abc', '1_0', 'infinity', 'nan', '0x', '1e', '+0x1'):
            self.assertTrue(math.isnan(js_number(text)), text)

    def test_integer_string(self):
        self.assertEqual([js_integer_string(v) for v in (0, 60, 2 ** 60, 10 ** 21, 15 * 10 ** 21)],
                         ['0', '60', '1152921504606847000', '1e+21', '1.5e+22'])


class RangeParserTest(unittest.TestCase):
    def test_as_range_parser_with_combine(self):
        for size, text, want in (
                (10, 'bytes=0-4', [(0, 4)]), (10, 'x', -2), (10, 'bytes=', -1), (10, 'bytes=3-1,7-', [(7, 9)]),
                (10, 'bytes=5-6,0-1,2-3', [(5, 6), (0, 3)]), (10, 'bytes=-3,0-1', [(7, 9), (0, 1)]),
                (10, 'bytes=0-2,1-8,9-', [(0, 9)]), (0, 'bytes=-1', -1), (10, 'a=b=0-1', [(9, 9)]), (10, '=1-2', [(1, 2)])):
            self.assertEqual(parse_range(size, text), want, (size, text))

    def test_fresh_with_nothing_to_compare_is_stale(self):
        self.assertFalse(fresh(None, None, None, ETAG, LAST_MODIFIED))
        self.assertFalse(fresh('', '', None, ETAG, LAST_MODIFIED))


if __name__ == '__main__':
    unittest.main()
