"""A market that answers every GET, whatever the path, with 200 and the bytes of the file named
on the command line: a list reply no real API should send. With `--stall-after N` it sends the
headers (the whole Content-Length) and the first N bytes, then stalls: a body that never ends.
Prints its URL, serves until killed."""
import http.server
import sys
import time

body = open(sys.argv[1], "rb").read()
stall_after = int(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[2] == "--stall-after" else None


class Reply(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if stall_after is None:
            self.wfile.write(body)
            return
        self.wfile.write(body[:stall_after])
        self.wfile.flush()
        time.sleep(600)


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Reply)
server.daemon_threads = True
print("listening on http://127.0.0.1:%d" % server.server_address[1], flush=True)
server.serve_forever()
