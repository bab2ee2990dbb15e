"""A hostile market for offer-cancel's end-to-end tests: every cancel is answered, in turn,
with a Retry-After of inf, of 1e20, of -5, a 5 MB body of junk, a reply with 200 headers of
8 KB, and finally the API's success envelope. Prints its port, serves until killed."""
import collections
import http.server
import json
import sys
import threading

attempts = collections.Counter()
lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body=b"", headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        parts = self.path.strip("/").split("/")
        if len(parts) != 3 or parts[0] != "offers" or parts[2] != "cancel":
            return self.answer(404)
        with lock:
            attempts[parts[1]] += 1
            n = attempts[parts[1]]
        if n == 1:
            return self.answer(429, b"{}", [("Retry-After", "inf")])
        if n == 2:
            return self.answer(429, b"{}", [("Retry-After", "1e20")])
        if n == 3:
            return self.answer(503, b"\xff\xfe not json", [("Retry-After", "-5")])
        if n == 4:
            return self.answer(200, b"x" * (5 * 1024 * 1024), [("Content-Type", "application/json")])
        if n == 5:
            return self.answer(502, b"", [("X-Junk-%d" % i, "y" * 40) for i in range(200)])
        offer = {"id": parts[1], "status": "READY", "nft": {"id": "1" * 78, "name": "\u2019"}}
        return self.answer(200, json.dumps({"success": True, "result": offer}).encode(), [("Content-Type", "application/json")])


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print("listening on http://127.0.0.1:%d" % server.server_address[1], flush=True)
server.serve_forever()
