"""The s2i-bot Python sample: answers GET / on port 8080 with a short text, with the standard library only."""
import os
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MESSAGE = "Really appreciate your star, that's the power of our life.\n"


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        found = self.path == "/" or self.path.startswith("/?")
        body = (MESSAGE if found else "not found\n").encode()
        self.send_response(200 if found else 404)
        self.send_header("content-type", "text/plain; charset=utf-8")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main():
    port = int(os.environ.get("PORT", "8080"))
    server = ThreadingHTTPServer(("0.0.0.0", port), Handler)
    # As PID 1 in a container, Python would ignore SIGTERM without a handler.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"hello-python listening on port {port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
