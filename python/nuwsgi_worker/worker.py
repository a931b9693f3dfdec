"""The request loop: take the next request, run the app on it, and answer.

A request comes over the channel from the master (a RequestState, answered with one terminal
frame), or is a connection the worker accepted on a uwsgi socket (a tuple from acceptor.Acceptor,
served by uwsgi_server.UwsgiServer).
"""

from .channel import APP_EXCEPTION
from .channel_sink import ChannelSink
from .environ import build_environ
from .request import RequestState
from .response import Response
from .scoreboard import NoScoreboard
from .wsgi_input import WsgiInput


class Worker:
    def __init__(self, pump, app, base_environ, request_body_window, catch_exceptions, app_table=None,
                 scoreboard=None):
        """`app` serves every request, unless an `app_table` (there are mounts) picks one per request.
        The `scoreboard` (scoreboard.py) hears when each core starts and ends a request."""
        self.pump = pump
        self.scoreboard = scoreboard if scoreboard is not None else NoScoreboard()
        self.app = app
        self.app_table = app_table
        self.base_environ = base_environ
        self.request_body_window = request_body_window
        self.catch_exceptions = catch_exceptions
        # The server of the uwsgi sockets this worker accepts on, if it has any.
        self.uwsgi = None

    def serve(self, core=0):
        """Runs requests until STOP, then sends what is left. `core` numbers the thread (or greenlet)."""
        next_request = self.pump.next_request
        handle = self.handle
        begin, end = self.scoreboard.begin, self.scoreboard.end
        item = next_request()
        while item is not None:
            begin(core)
            try:
                if type(item) is RequestState:
                    handle(item)
                else:
                    self.uwsgi.serve(item, core)
            finally:
                end(core)
            item = next_request()
        self.pump.flush()

    def handle(self, state):
        pump = self.pump
        body = WsgiInput(state, pump, self.request_body_window)
        environ = build_environ(state.environ_block, self.base_environ, body)
        body.expect(environ.get('CONTENT_LENGTH'))
        self.run_app(environ, Response(ChannelSink(state, pump), environ))
        pump.finish(state)

    def run_app(self, environ, response):
        """Calls the app and sends its result; the result's close() is always called."""
        app = self.app if self.app_table is None else self.app_table.select(environ)
        # Only Exception: SystemExit and KeyboardInterrupt from the app end the worker, as in gunicorn.
        try:
            result = app(environ, response.start_response)
            try:
                response.send_result(result)
            finally:
                close = None if type(result) is list else getattr(result, 'close', None)
                if close is not None:
                    close()
            response.finish()
        except Exception:
            # The master counts it for the stats (uWSGI's exceptions).
            self.pump.send_frame(APP_EXCEPTION, 0)
            response.fail(self.catch_exceptions)
