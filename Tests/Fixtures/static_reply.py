"""A market that answers every GET, whatever the path, with 200 and the bytes of the file named
on the command line: a list reply no real API should send. Prints its URL, serves until killed."""
import http.server
import sys

body = open(sys.argv[1], "rb").read()


class Reply(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Reply)
print("listening on http://127.0.0.1:%d" % server.server_address[1], flush=True)
server.serve_forever()
