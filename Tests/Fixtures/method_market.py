"""A market whose cancel takes only some methods, as the API's later documentation has it
(docs-capsule, cancel-an-offer.md: POST since commit 712dfec). `post` answers GET
/offers/{id}/cancel with 405 in the API's envelope and cancels on POST; `none` answers both
with 405. GET /__calls tells how many cancels each offer got, by method. Prints its URL, serves
until killed. Standard library only."""
import http.server
import json
import sys
import threading

allowed = {"post": {"POST"}, "none": set()}[sys.argv[1]]
calls = {}
lock = threading.Lock()


class Market(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body, headers=()):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def cancel(self, method):
        parts = self.path.split("/")
        if len(parts) != 4 or parts[1] != "offers" or parts[3] != "cancel":
            return self.reply(404, {"success": False, "errors": [{"code": "not-found", "message": "no route"}]})
        offer = parts[2]
        if method not in allowed:
            return self.reply(405, {"success": False, "errors": [{"code": "request.method-not-supported", "traceCode": "b1e2",
                                                                  "message": "Request method '%s' not supported" % method}]},
                              [("Allow", ", ".join(sorted(allowed)))])
        with lock:
            calls.setdefault(offer, {}).setdefault(method, 0)
            calls[offer][method] += 1
        self.reply(200, {"success": True, "result": {"id": offer, "status": "READY", "type": "SALE"}})

    def do_GET(self):
        if self.path == "/__calls":
            with lock:
                return self.reply(200, calls)
        self.cancel("GET")

    def do_POST(self):
        if self.headers.get("Transfer-Encoding"):
            # A cancel has no body: a client that frames one in chunks is refused, as servers
            # that read Content-Length only (this one among them) would misread it.
            self.close_connection = True
            return self.reply(400, {"success": False, "errors": [{"code": "bad-request", "message": "a cancel carries no body"}]})
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.cancel("POST")


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Market)
print("listening on http://127.0.0.1:%d" % server.server_address[1], flush=True)
server.serve_forever()
