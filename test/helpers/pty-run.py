"""Runs a command in a pseudo-terminal of a given size, for tests of terminal programs.

    /usr/bin/python3 pty-run.py ROWS COLS -- COMMAND [ARGS...]

Everything the command writes to the terminal is copied, byte for byte, to stdout. Lines read from
stdin drive the terminal:

    keys TEXT        type TEXT (escapes as in Python: keys \\x03 is Ctrl-C)
    resize ROWS COLS change the terminal's size (the kernel sends SIGWINCH to the command)

When stdin closes, the command gets SIGTERM. Once the command has exited, stderr gets one line
`exit CODE` (or `signal NUMBER`) and one line `termios restored` or `termios changed`: whether the
command left the terminal's modes as it found them. Standard library only.
"""

import fcntl
import os
import select
import signal
import struct
import sys
import termios


def set_size(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def spawn(command, rows, cols):
    master, slave = os.openpty()
    set_size(master, rows, cols)
    pid = os.fork()
    if pid == 0:
        try:
            os.close(master)
            os.setsid()
            fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
            for fd in (0, 1, 2):
                os.dup2(slave, fd)
            if slave > 2:
                os.close(slave)
            env = dict(os.environ, TERM=os.environ.get("TERM", "xterm"))
            os.execvpe(command[0], command, env)
        finally:
            os._exit(127)
    # The parent keeps the slave open, to read its modes once the command has exited.
    return pid, master, slave


def write_all(fd, data):
    while data:
        data = data[os.write(fd, data):]


def drain(master, out):
    while True:
        try:
            data = os.read(master, 65536)
        except (BlockingIOError, OSError):
            return
        if not data:
            return
        out.write(data)
        out.flush()


def obey(line, pid, master):
    words = line.rstrip("\n").split(" ", 1)
    if words[0] == "keys" and len(words) == 2:
        text = words[1].encode("utf-8").decode("unicode_escape").encode("latin-1")
        write_all(master, text)
    elif words[0] == "resize" and len(words) == 2:
        rows, cols = (int(n) for n in words[1].split())
        set_size(master, rows, cols)
    else:
        sys.stderr.write("pty-run: unknown command %r\n" % line)
        sys.stderr.flush()


def main():
    args = sys.argv[1:]
    if len(args) < 4 or args[2] != "--":
        sys.stderr.write(__doc__)
        return 2
    rows, cols, command = int(args[0]), int(args[1]), args[3:]
    pid, master, slave = spawn(command, rows, cols)
    modes_before = termios.tcgetattr(slave)
    os.set_blocking(master, False)
    out = sys.stdout.buffer
    stdin = sys.stdin.fileno()
    pending = b""
    stdin_open = True
    status = None
    while status is None:
        readers = [master] + ([stdin] if stdin_open else [])
        ready, _, _ = select.select(readers, [], [], 0.05)
        if master in ready:
            drain(master, out)
        if stdin_open and stdin in ready:
            data = os.read(stdin, 4096)
            if not data:
                stdin_open = False
                try:
                    os.kill(pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
            pending += data
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                obey(line.decode("utf-8"), pid, master)
        done, code = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            status = code
    drain(master, out)
    modes_after = termios.tcgetattr(slave)
    if os.WIFEXITED(status):
        sys.stderr.write("exit %d\n" % os.WEXITSTATUS(status))
    else:
        sys.stderr.write("signal %d\n" % os.WTERMSIG(status))
    sys.stderr.write("termios %s\n" % ("restored" if modes_after == modes_before else "changed"))
    sys.stderr.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
