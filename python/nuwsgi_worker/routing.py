"""Where each frame from the master goes: the one set of rules both pumps follow.

A pump has `requests` (id -> RequestState of the requests in flight), `pending` (REQUESTs not yet
started), `stopping`, `paused`, `config` and `response_window`. `route_frame` files a frame there and says
what it was, so that the threaded pump can wake the threads that care.
"""

from .channel import CONFIG, PAUSE, REQUEST, RESUME, STOP
from .request import RequestState

# What route_frame did with a frame.
QUEUED = 'queued'          # a new request joined `pending`
STOPPING = 'stopping'      # STOP: no request will come any more
PAUSED = 'paused'          # PAUSE: accept no connection on the uwsgi sockets until RESUME
RESUMED = 'resumed'        # RESUME
CONFIGURED = 'configured'  # CONFIG arrived
DELIVERED = 'delivered'    # a frame for a request in flight updated its state
DROPPED = None             # a frame for a request already finished


def route_frame(pump, type_, flags, id_, payload):
    if type_ == REQUEST:
        state = RequestState(id_, flags, payload, pump.response_window)
        pump.requests[id_] = state
        pump.pending.append(state)
        return QUEUED
    if type_ == STOP:
        pump.stopping = True
        return STOPPING
    if type_ == PAUSE:
        pump.paused = True
        return PAUSED
    if type_ == RESUME:
        pump.paused = False
        return RESUMED
    if type_ == CONFIG:
        pump.config = payload
        return CONFIGURED
    state = pump.requests.get(id_)
    if state is None:
        return DROPPED
    state.receive(type_, flags, payload)
    return DELIVERED
