#!/usr/bin/env python3
"""Network links between test nodes that the test can cut and restore, on loopback only.

Usage: link_proxy.py CONTROL_DIR NAME:TARGET_PORT...

For each NAME it listens on a free 127.0.0.1 port and forwards every connection to
127.0.0.1:TARGET_PORT; the ports are written to CONTROL_DIR/ports ("NAME PORT" lines) once all
listen. While the file CONTROL_DIR/cut.NAME exists the link is down: open connections are
reset within 50 ms and new ones are reset at once, as a partition looks to both ends. Removing
the file restores the link. Runs until killed.
"""
import asyncio
import os
import sys

control = sys.argv[1]
links = {}  # name -> set of (client writer, target writer)


def is_cut(name):
    return os.path.exists(os.path.join(control, "cut." + name))


async def pipe(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()


async def handle(name, target, reader, writer):
    if is_cut(name):
        writer.transport.abort()
        return
    try:
        target_reader, target_writer = await asyncio.open_connection("127.0.0.1", target)
    except OSError:
        writer.transport.abort()
        return
    pair = (writer, target_writer)
    links[name].add(pair)
    try:
        await asyncio.gather(pipe(reader, target_writer), pipe(target_reader, writer))
    finally:
        links[name].discard(pair)


async def main():
    lines = []
    for spec in sys.argv[2:]:
        name, target = spec.split(":")
        links[name] = set()
        server = await asyncio.start_server(
            lambda r, w, n=name, t=int(target): handle(n, t, r, w), "127.0.0.1", 0)
        lines.append("%s %d" % (name, server.sockets[0].getsockname()[1]))
    tmp = os.path.join(control, "ports.tmp")
    with open(tmp, "w") as f:
        f.write("\n".join(lines) + "\n")
    os.rename(tmp, os.path.join(control, "ports"))
    while True:
        for name, pairs in links.items():
            if is_cut(name):
                for client, target in list(pairs):
                    client.transport.abort()
                    target.transport.abort()
        await asyncio.sleep(0.05)


asyncio.run(main())
