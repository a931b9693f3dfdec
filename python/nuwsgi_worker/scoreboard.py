"""What each core is doing now, for the master's stats server and metrics (src/master/scoreboard.ts).

The master hands the worker a small file (CONFIG's scoreboard_fd, or scoreboard_path for a worker
forked by the zygote) that both map; the worker writes a
core's record when the core starts and ends a request, whichever socket the request came on, and the
master reads it only when asked. Per core: u32 in request (0/1), u32 unused, f64 start (s since the
epoch), little-endian.
"""

import mmap
import os
import struct
import time

_RECORD = struct.Struct('<Iid')


class Scoreboard:
    def __init__(self, fd, cores):
        self.map = mmap.mmap(fd, cores * _RECORD.size)
        os.close(fd)

    def begin(self, core):
        _RECORD.pack_into(self.map, core * _RECORD.size, 1, 0, time.time())

    def end(self, core):
        _RECORD.pack_into(self.map, core * _RECORD.size, 0, 0, 0.0)


class NoScoreboard:
    """For a worker started without one (the unit tests)."""

    def begin(self, core):
        pass

    def end(self, core):
        pass


def open_scoreboard(config, cores):
    """The file is an inherited descriptor (scoreboard_fd) for a spawned worker, and a path the
    master unlinks once the worker is ready (scoreboard_path) for a forked one."""
    fd = config.get('scoreboard_fd')
    if fd is None and config.get('scoreboard_path'):
        fd = os.open(config['scoreboard_path'], os.O_RDWR)
    return NoScoreboard() if fd is None else Scoreboard(int(fd), cores)
