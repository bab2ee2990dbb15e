"""A port that accepts every connection and never answers a byte: a server that hangs. Prints
its URL, serves until killed. Standard library only."""
import socket

listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(1024)
print("listening on http://127.0.0.1:%d" % listener.getsockname()[1], flush=True)
held = []
while True:
    connection, _ = listener.accept()
    held.append(connection)
