"""The request loop: take the next request, run the app on it, answer with one terminal frame."""

from .environ import build_environ
from .response import Response
from .wsgi_input import WsgiInput


class Worker:
    def __init__(self, pump, app, base_environ, request_body_window, catch_exceptions, app_table=None):
        """`app` serves every request, unless an `app_table` (there are mounts) picks one per request."""
        self.pump = pump
        self.app = app
        self.app_table = app_table
        self.base_environ = base_environ
        self.request_body_window = request_body_window
        self.catch_exceptions = catch_exceptions

    def serve(self):
        """Runs requests until STOP, then sends what is left."""
        next_request = self.pump.next_request
        handle = self.handle
        state = next_request()
        while state is not None:
            handle(state)
            state = next_request()
        self.pump.flush()

    def handle(self, state):
        pump = self.pump
        environ = build_environ(
            state.environ_block, self.base_environ, WsgiInput(state, pump, self.request_body_window))
        response = Response(state, pump, environ)
        app = self.app if self.app_table is None else self.app_table.select(environ)
        # Only Exception: SystemExit and KeyboardInterrupt from the app end the worker, as in gunicorn.
        try:
            result = app(environ, response.start_response)
            try:
                response.send_result(result)
            finally:
                close = getattr(result, 'close', None)
                if close is not None:
                    close()
            response.finish()
        except Exception:
            response.fail(self.catch_exceptions)
        pump.finish(state)
