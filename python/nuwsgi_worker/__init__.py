"""The Python side of nuwsgi: a worker process that runs one WSGI app for the Node master.

It talks to the master over one channel (fd 3, docs/channel.md) and uses the standard library only.
"""
