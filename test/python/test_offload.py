"""wsgi.file_wrapper over a regular file on a request that came over the channel: the worker offers
the master the file (RESPONSE_FILE) and keeps its descriptor open until the answer (FILE_TAKEN); on
1 it ends the response without sending the bytes, on 0 it sends them itself, and a CANCEL while it
waits does not leave it waiting. In the single-threaded worker and in the threaded one."""

import os
import random
import tempfile

from .fake_master import (
    CANCEL, FILE_TAKEN, RESPONSE_ABORT, RESPONSE_END, make_environ,
)
from .probe import ProbeTestCase

# more than the response window of the probe's worker (256 KiB), so that the fallback needs credit
DATA = random.Random(7).randbytes(300 * 1024 + 4321)


class OffloadTest(ProbeTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        fd, cls.path = tempfile.mkstemp(prefix='nuwsgi-offload-')
        with os.fdopen(fd, 'wb') as f:
            f.write(DATA)

    @classmethod
    def tearDownClass(cls):
        os.unlink(cls.path)
        super().tearDownClass()

    def offer(self, query=''):
        """Sends a request for the probe's real file; returns its id and the response up to RESPONSE_FILE."""
        id_ = self.master.send_request(make_environ('/real-file', query='path=%s&%s' % (self.path, query)))
        return id_, self.master.read_until_file(id_)

    def test_the_file_is_offered_and_taken(self):
        id_, response = self.offer('offset=1000')
        self.assertEqual(response.status, '200 OK')
        fd, offset, count = response.file
        self.assertEqual((offset, count), (1000, len(DATA) - 1000))
        # the descriptor is still open in the worker: the master can open the same file through /proc
        with open('/proc/%d/fd/%d' % (self.ready['pid'], fd), 'rb') as f:
            f.seek(offset)
            self.assertEqual(f.read(), DATA[1000:])
        self.master.send(FILE_TAKEN, id_, b'\x01')
        response = self.master.read_rest(response)
        self.assertEqual((response.terminal, response.body), (RESPONSE_END, b''))
        self.assertEqual(self.events(), ['closed real-file'])

    def test_the_file_stays_open_until_the_answer(self):
        id_, response = self.offer()
        self.assertEqual(self.master.proc.poll(), None)
        fd = response.file[0]
        self.assertTrue(os.path.exists('/proc/%d/fd/%d' % (self.ready['pid'], fd)))
        self.master.send(FILE_TAKEN, id_, b'\x01')
        self.assertEqual(self.master.read_rest(response).terminal, RESPONSE_END)

    def test_a_content_length_bounds_the_region(self):
        id_, response = self.offer('offset=10&cl=500')
        self.assertEqual(response.file[1:], (10, 500))
        self.master.send(FILE_TAKEN, id_, b'\x01')
        self.assertEqual(self.master.read_rest(response).terminal, RESPONSE_END)
        self.assertEqual(response.header('Content-Length'), '500')

    def test_a_content_length_beyond_the_file_offers_the_file_and_aborts(self):
        id_, response = self.offer('cl=%d' % (len(DATA) + 10))
        self.assertEqual(response.file[1:], (0, len(DATA)))
        self.master.send(FILE_TAKEN, id_, b'\x01')
        response = self.master.read_rest(response)
        self.assertEqual(response.terminal, RESPONSE_ABORT)
        self.assertIn('declared Content-Length', response.abort_reason)

    def test_a_refused_file_is_sent_as_body_frames(self):
        id_, response = self.offer('offset=777')
        self.master.send(FILE_TAKEN, id_, b'\x00')
        response = self.master.read_rest(response)
        self.assertEqual(response.terminal, RESPONSE_END)
        self.assertEqual(response.body, DATA[777:])
        self.assertEqual(self.events(), ['closed real-file'])

    def test_a_cancel_while_waiting_ends_the_request(self):
        id_, response = self.offer()
        self.master.send(CANCEL, id_)
        response = self.master.read_rest(response)
        self.assertEqual((response.terminal, response.body), (RESPONSE_END, b''))
        self.assertEqual(self.events(), ['closed real-file'])
        # the answer that comes after the request finished is ignored
        self.master.send(FILE_TAKEN, id_, b'\x01')
        self.assertComplete(self.request('/hello'))

    def test_nothing_left_to_send_is_not_offered(self):
        response = self.request('/real-file', query='path=%s&offset=%d' % (self.path, len(DATA)))
        self.assertComplete(response)
        self.assertEqual((response.file, response.body), (None, b''))

    def test_a_file_like_without_a_descriptor_is_iterated(self):
        response = self.request('/file', query='size=20000&blksize=8192')
        self.assertComplete(response)
        self.assertEqual((response.file, response.body), (None, b'f' * 20000))


class ThreadedOffloadTest(OffloadTest):
    config = {'threads': 2}
