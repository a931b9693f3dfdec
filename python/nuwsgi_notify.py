"""Sends systemd's notifications (sd_notify(3)) for the nuwsgi master.

Node has no unix datagram sockets, so the master runs this with the standard library only
(`python3 -I -S nuwsgi_notify.py NOTIFY_SOCKET`) and writes one message per line on its stdin: a
JSON list of assignments such as ["READY=1", "STATUS=2 workers"]. Each message goes out as one
datagram, its assignments separated by newlines, as sd_notify sends them. The unit's
NotifyAccess=all lets systemd accept them from this process. It exits when its stdin closes,
which is when the master exits, however it exits. The signals sent to the whole process group or
cgroup (Ctrl-C, systemd's stop) are ignored, as the workers ignore them: the master still has
messages to send then (STOPPING=1).
"""
import json
import signal
import socket
import sys


def socket_address(name):
    """A NOTIFY_SOCKET starting with '@' is in the abstract namespace."""
    return "\0" + name[1:] if name.startswith("@") else name


def main():
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(signum, signal.SIG_IGN)
    name = sys.argv[1]
    target = socket_address(name)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    for line in sys.stdin:
        try:
            message = "\n".join(json.loads(line)).encode("utf-8")
            sock.sendto(message, target)
        except (OSError, ValueError) as err:
            print(f"nuwsgi: cannot notify systemd on {name}: {err}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
