"""Driving a Connection over asyncio streams.

``drive`` runs the loop the C and Rust examples run: take events (handing
each to ``on_event``, which may issue commands), write the output, stop when
the transport is to be closed, otherwise wait for input, a wake-up or the
connection's next deadline, whichever comes first.
"""

from __future__ import annotations

import asyncio
from typing import Awaitable, Callable, Optional, Union

from ._connection import Connection, Event, now

OnEvent = Callable[[Connection, Event], Union[None, Awaitable[None]]]


class Driver:
    """Runs one connection over a (reader, writer) pair until it is over.

    Call ``wake()`` after issuing commands from elsewhere (another task), so
    the output is written without waiting for input.
    """

    def __init__(
        self,
        conn: Connection,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        on_event: OnEvent,
        read_size: int = 64 * 1024,
    ):
        self.conn, self.reader, self.writer = conn, reader, writer
        self.on_event, self.read_size = on_event, read_size
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        conn = self.conn
        conn.handle_timeout(now())
        read: Optional[asyncio.Task] = None
        try:
            while True:
                while (event := conn.poll_event()) is not None:
                    result = self.on_event(conn, event)
                    if result is not None:
                        await result
                out = conn.data_to_send()
                if out:
                    self.writer.write(out)
                    await self.writer.drain()
                if conn.should_close_transport():
                    return
                deadline = conn.poll_timeout()
                timeout = None if deadline is None else max(0.0, (deadline - now()) / 1e9)
                if read is None:
                    read = asyncio.ensure_future(self.reader.read(self.read_size))
                wake = asyncio.ensure_future(self._wake.wait())
                done, _ = await asyncio.wait({read, wake}, timeout=timeout,
                                             return_when=asyncio.FIRST_COMPLETED)
                wake.cancel()
                self._wake.clear()
                conn.handle_timeout(now())
                if read in done:
                    try:
                        data = read.result()
                    except (ConnectionError, OSError):
                        data = b""
                    read = None
                    if data:
                        conn.handle_input(data)
                    else:
                        conn.handle_eof()
        finally:
            if read is not None:
                read.cancel()
            await self._close_transport()

    async def _close_transport(self) -> None:
        # Shut down our half, then wait briefly for the peer's EOF, so that a
        # reset does not destroy our last frames.
        w = self.writer
        try:
            if w.can_write_eof():
                w.write_eof()
            await asyncio.wait_for(self.reader.read(), 1.0)
        except (asyncio.TimeoutError, ConnectionError, OSError):
            pass
        w.close()
        try:
            await w.wait_closed()
        except (ConnectionError, OSError):
            pass


async def drive(conn: Connection, reader, writer, on_event: OnEvent) -> None:
    """Runs ``conn`` over the stream pair until the transport is to be closed."""
    await Driver(conn, reader, writer, on_event).run()
