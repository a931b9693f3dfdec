"""The scoreboard a worker writes for the master's stats: a core's record says it is in a request,
and since when, between begin() and end(), in the layout src/master/scoreboard.ts reads."""

import os
import struct
import tempfile
import time
import unittest

from .fake_master import PYTHON_DIR  # noqa: F401  (puts python/ on sys.path)
from nuwsgi_worker.scoreboard import NoScoreboard, Scoreboard, open_scoreboard  # noqa: E402

RECORD = struct.Struct('<Iid')


class ScoreboardTest(unittest.TestCase):
    def setUp(self):
        handle, self.path = tempfile.mkstemp()
        os.write(handle, bytes(2 * RECORD.size))
        os.close(handle)
        self.addCleanup(os.unlink, self.path)

    def records(self):
        with open(self.path, 'rb') as f:
            data = f.read()
        return [RECORD.unpack_from(data, i * RECORD.size) for i in range(2)]

    def test_begin_and_end_write_the_core_record_in_place(self):
        board = Scoreboard(os.open(self.path, os.O_RDWR), 2)
        before = time.time()
        board.begin(1)
        (idle, _, _), (busy, _, started) = self.records()
        self.assertEqual((idle, busy), (0, 1))
        self.assertGreaterEqual(started, before)
        board.end(1)
        self.assertEqual(self.records(), [(0, 0, 0.0), (0, 0, 0.0)])

    def test_a_worker_started_without_one_has_none(self):
        self.assertIsInstance(open_scoreboard({}, 2), NoScoreboard)


if __name__ == '__main__':
    unittest.main()
