"""moto's server, with every request but SQS long polls served one at a time.

Why: `moto_server` answers on several threads, and moto's conditional writes are not
atomic across them. Four clients sending the same DynamoDB
`UpdateItem ... ConditionExpression "attribute_not_exists(pk) OR lastSlot < :s"` at once
got more than one winner in 2 of 200 trials (moto 5.2.5), and concurrent updates to
one item could be lost. Real DynamoDB, SQS and S3 make these writes atomic, so our
code relies on that, and the tests would otherwise fail (or stall) because of the
emulator, not the code.

Serving everything on one thread would fix that but would block every client while
one SQS `ReceiveMessage` long-polls for up to 20 s. So this wrapper keeps moto's
threaded server and holds one lock around each request, except:
- SQS `ReceiveMessage` (JSON protocol: header `X-Amz-Target: AmazonSQS.ReceiveMessage`),
  which mostly waits;
- S3 requests without a condition (no `If-Match`/`If-None-Match`): objects are written
  whole under distinct keys, so nothing there needs atomicity, and staging and output
  traffic is the bulk of the emulator's load (serialising it halved S3 throughput).
The response body is read inside the lock, so no locked handler runs outside it.

Usage: python3 moto_serialized.py [-H HOST] -p PORT
"""

import argparse
import signal
import sys
import threading

from werkzeug.serving import run_simple

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)

UNLOCKED_TARGETS = {"AmazonSQS.ReceiveMessage"}


def is_unconditional_s3(environ):
    """An S3 request (SigV4 scope `/s3/aws4_request`, header or presigned) with no condition."""
    scope = environ.get("HTTP_AUTHORIZATION", "") + environ.get("QUERY_STRING", "")
    if "/s3/aws4_request" not in scope and "%2Fs3%2Faws4_request" not in scope:
        return False
    return "HTTP_IF_MATCH" not in environ and "HTTP_IF_NONE_MATCH" not in environ


def serialized(app):
    lock = threading.Lock()

    def application(environ, start_response):
        if environ.get("HTTP_X_AMZ_TARGET") in UNLOCKED_TARGETS or is_unconditional_s3(environ):
            return app(environ, start_response)
        with lock:
            captured = {}

            def capture(status, headers, exc_info=None):
                captured["status"] = status
                captured["headers"] = headers
                captured["exc_info"] = exc_info
                return lambda data: captured.setdefault("written", []).append(data)

            result = app(environ, capture)
            try:
                body = b"".join(captured.get("written", [])) + b"".join(result)
            finally:
                close = getattr(result, "close", None)
                if close:
                    close()
        start_response(captured["status"], captured["headers"], captured["exc_info"])
        return [body]

    return application


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, required=True)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(
        args.host,
        args.port,
        serialized(app),
        threaded=True,
        request_handler=MotoRequestHandler,
    )


if __name__ == "__main__":
    main()
