"""Loopback ports."""

import socket


def free_port(also_next_tcp: bool = False) -> int:
    """A port free for both UDP and TCP on 127.0.0.1 (SIP listens on both); with `also_next_tcp`,
    the next port is free for TCP too (baresip listens for SIP over TLS on its SIP port + 1)."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = udp.getsockname()[1]
            if also_next_tcp and port >= 65535:
                continue
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind(("127.0.0.1", port))
                except OSError:
                    continue
                if also_next_tcp:
                    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tls:
                        try:
                            tls.bind(("127.0.0.1", port + 1))
                        except OSError:
                            continue
            return port
    raise RuntimeError("no free port on 127.0.0.1")
