"""Requests in flight at once: an asyncio event loop driven from the caller's thread."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def stream_concurrently(
    items: Sequence[T],
    call: Callable[[Any, T], Awaitable[R]],
    open_client: Callable[[], Any],
    close_client: Callable[[Any], Awaitable[None]],
    concurrency: int,
    on_error: Callable[[BaseException], R],
    stop: Callable[[], bool] = lambda: False,
) -> Iterator[tuple[int, R]]:
    """Yield (index, result) for each item as its call finishes, `concurrency` calls at a time.

    The event loop runs in the calling thread and only while the caller waits for the next
    result. An exception from `call` becomes `on_error(exc)`. Once `stop()` is true no call is
    started (the stream ends after those in flight). Closing the iterator early cancels the calls
    in flight and closes the client.
    """
    if not items:
        return
    loop = asyncio.new_event_loop()
    tasks: list[asyncio.Task] = []
    client = None
    try:

        async def start() -> asyncio.Queue:
            nonlocal client
            client = open_client()
            return asyncio.Queue()

        done: asyncio.Queue = loop.run_until_complete(start())
        pending = iter(enumerate(items))

        async def worker() -> None:
            try:
                for index, item in pending:
                    if stop():
                        break
                    try:
                        result = await call(client, item)
                    except asyncio.CancelledError:
                        raise
                    except Exception as exc:  # an error record, never an answer
                        result = on_error(exc)
                    done.put_nowait((index, result))
            finally:
                done.put_nowait(None)  # this worker is done

        tasks = [loop.create_task(worker()) for _ in range(max(1, min(concurrency, len(items))))]
        running = len(tasks)
        while running:
            getter = loop.create_task(done.get())
            tasks.append(getter)  # cancelled with the workers when interrupted (Ctrl-C) while waiting
            got = loop.run_until_complete(getter)
            tasks.remove(getter)
            if got is None:
                running -= 1
            else:
                yield got
    finally:
        for task in tasks:
            task.cancel()
        if tasks:
            loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        if client is not None:
            loop.run_until_complete(close_client(client))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
