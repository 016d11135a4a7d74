"""The base of the local stand-ins for the suppliers' systems: an HTTP
server on 127.0.0.1 at a free port (port 0), answering from a daemon
thread between __enter__ (start) and __exit__ (stop).

A stand-in subclasses LocalServer, keeps its data and behaviours as
attributes and names its Handler (a subclass of Handler below), which
reads them as self.supplier. The behaviours most stand-ins share are here:
sleep (a slow answer), throttle (the next n calls answered 429 with
Retry-After: retry_after) and truncate (half a JSON body).

Not used by the module itself: the stand-ins of the connector tests
(tests/*_server.py) and stand_in_hermes.py (shared with
scripts/bench_import.py) derive from it."""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    "One request to a LocalServer"

    @property
    def supplier(self):
        "The LocalServer answering: its data and behaviours"
        return self.server.supplier

    def log_message(self, *args):
        pass

    def read_body(self):
        return self.rfile.read(int(self.headers.get('Content-Length') or 0))

    def pause(self):
        "Wait as long as the server is told to sleep"
        if self.supplier.sleep:
            time.sleep(self.supplier.sleep)

    def throttled(self):
        """Whether this call is answered 429, while the server is told to
        throttle (one call less each time)"""
        supplier = self.supplier
        if not supplier.throttle:
            return False
        supplier.throttle -= 1
        self.reply(429, headers={'Retry-After': supplier.retry_after})
        return True

    def encode(self, data):
        "The body of a JSON answer"
        return json.dumps(data, ensure_ascii=False).encode('utf-8')

    def json(self, status, data, truncate=None):
        """Answer data as JSON; half of it when truncate is true (None: as
        the server is told)"""
        body = self.encode(data)
        if self.supplier.truncate if truncate is None else truncate:
            body = body[:len(body) // 2]
        self.reply(status, body, 'application/json; charset=utf-8')

    def reply(self, status, body=b'', content_type=None, headers=None):
        self.send_response(status)
        if content_type:
            self.send_header('Content-Type', content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (a time-out test)


class LocalServer:
    "A supplier's stand-in on 127.0.0.1"
    Handler = Handler
    # the path of the API on the server, the end of url
    path = ''

    def __init__(self):
        self.sleep = 0
        # answer 429 this many times, with this Retry-After
        self.throttle, self.retry_after = 0, '1'
        self.truncate = False
        self.httpd = ThreadingHTTPServer(('127.0.0.1', 0), self.Handler)
        self.httpd.daemon_threads = True
        self.httpd.supplier = self
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self):
        return f'http://127.0.0.1:{self.httpd.server_port}{self.path}'

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
