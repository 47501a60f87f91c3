#!/usr/bin/env python3
"""moto_server, with requests handled one at a time, answering only its own loopback address.

moto's DynamoDB TransactWriteItems is not atomic with respect to concurrent requests: a failing
transaction restores a copy of the table taken when it started, silently undoing writes that other
requests made meanwhile, and two conditional transactions can both pass. Real AWS APIs handle each
request atomically, so the local stack and the tests run moto behind a lock that gives them that
property. moto is CPU-bound Python under the GIL, so the lock costs little; nothing webhealth calls
on moto long-polls.

A request whose Host is not this server's own loopback address (DNS rebinding) or that carries an
Origin other than its own (a web page in the user's browser) is refused with 403 before moto sees it.

Same command line as moto_server: -H/--host, -p/--port (default $MOTO_PORT or 5000).
"""
import argparse
import os
import signal
import sys
import threading

from werkzeug.serving import run_simple
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


class Serialized:
    """A WSGI middleware running the wrapped application for one request at a time."""

    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self.lock:
            result = self.app(environ, start_response)
            try:
                return [b"".join(result)]
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()


class OwnHostOnly:
    """A WSGI middleware refusing requests addressed to another host or sent from another origin."""

    def __init__(self, app, port):
        self.app = app
        self.hosts = {f"{name}:{port}" for name in LOOPBACK_NAMES}
        self.origins = {f"http://{h}" for h in self.hosts}

    def __call__(self, environ, start_response):
        host = environ.get("HTTP_HOST", "").lower()
        origin = environ.get("HTTP_ORIGIN")
        if host not in self.hosts or (origin is not None and origin.lower() not in self.origins):
            body = b"refused: the emulator answers only requests to its own loopback address\n"
            start_response("403 Forbidden", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
            return [body]
        return self.app(environ, start_response)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-H", "--host", default="127.0.0.1", help="address to bind")
    parser.add_argument("-p", "--port", type=int, default=int(os.environ.get("MOTO_PORT", 5000)), help="port")
    args = parser.parse_args()
    os.environ.setdefault("MOTO_PORT", str(args.port))
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: sys.exit(0))
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(args.host, args.port, OwnHostOnly(Serialized(app), args.port), threaded=True)


if __name__ == "__main__":
    main()
