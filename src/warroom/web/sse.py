"""Server-Sent Events: the queue stream and one stream per incident.

The database is the source of truth; a LiveHub notice only wakes the stream up, and the stream then
reads what is new. So a notice that is lost (another process on SQLite, a dropped LISTEN connection)
costs at most one poll interval, and a reconnecting page catches up from its Last-Event-ID:
- incident stream: the SSE id is the event's `seq`; the page passes the last seq it rendered.
- queue stream: the SSE id is the global incident_events id; each frame only says "something changed",
  and the page re-fetches its rows (so an id committed out of order can never be lost for good)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from warroom.incidents import queries as incidents
from warroom.platform.app import App
from warroom.web.api.schemas import MAX_ID, PathId
from warroom.web.deps import get_app
from warroom.web.numbers import lenient_int
from warroom.web.pages.common import PageError, ViewerPage, fragment, load_names

router = APIRouter(include_in_schema=False)

KEEPALIVE_SECONDS = 15.0  # a comment line keeps proxies from closing an idle stream
POLL_SECONDS = 2.0  # without cross-process notices (SQLite, or no LISTEN bridge) re-read this often
MAX_STREAM_SECONDS = 300.0  # then end; the browser reconnects with Last-Event-ID
BATCH = 200
QUEUE_MIN_GAP_SECONDS = 0.25  # the queue page re-fetches its rows at most 4 times a second
INCIDENT_MIN_GAP_SECONDS = 0.05  # a burst of events on one incident goes out in one batch
After = Annotated[int | None, Query(ge=0, le=MAX_ID, description="the last id the page has")]


def frame(data: Any, *, event: str | None = None, id: int | None = None) -> str:
    """One SSE frame; JSON data never contains a raw newline."""
    out = ""
    if id is not None:
        out += f"id: {id}\n"
    if event:
        out += f"event: {event}\n"
    return out + "data: " + orjson.dumps(data).decode() + "\n\n"


def resume_point(request: Request, after: int | None) -> int:
    """Last-Event-ID (sent by a reconnecting browser) wins over ?after= (the page's initial position)."""
    given = lenient_int(request.headers.get("last-event-id"))
    return given if given is not None else max(0, after or 0)


async def _stream(request: Request, app: App, matches: Callable[[dict[str, Any]], bool],
                  read: Callable[[int, bool], tuple[list[str], int]], last: int,
                  min_gap: float = 0.0) -> AsyncIterator[str]:
    """Read and send what is new, then sleep until a matching notice (or the poll interval); at most one read
    per `min_gap` seconds, so a burst of changes costs each stream one read, not one per change."""
    loop = asyncio.get_running_loop()
    woken = asyncio.Event()

    def on_notice(message: dict[str, Any]) -> None:
        if message.get("type") == "resync" or matches(message):
            loop.call_soon_threadsafe(woken.set)

    unsubscribe = app.live.subscribe(on_notice)
    try:
        yield "retry: 1500\n\n"
        deadline = loop.time() + MAX_STREAM_SECONDS
        notified = False
        while loop.time() < deadline:
            woken.clear()
            frames, last = await run_in_threadpool(read, last, notified)
            for f in frames:
                yield f
            if frames and min_gap:
                await asyncio.sleep(min_gap)
            woke = await _wait(request, woken, KEEPALIVE_SECONDS if app.live.cross_process else POLL_SECONDS)
            if woke is None:
                return
            notified = woke
            if not notified:
                yield ": keepalive\n\n"
    finally:
        unsubscribe()


async def _wait(request: Request, woken: asyncio.Event, seconds: float) -> bool | None:
    """True when woken, False after `seconds`, None once the client has gone (checked every second, so a
    closed page frees its stream promptly and a server can shut down without waiting for keepalives)."""
    left = seconds
    while left > 0:
        try:
            await asyncio.wait_for(woken.wait(), min(1.0, left))
            return True
        except TimeoutError:
            left -= 1.0
            if await request.is_disconnected():
                return None
    return False


def _sse(gen: AsyncIterator[str]) -> StreamingResponse:
    return StreamingResponse(gen, media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


@router.get("/live/queue")
def queue_stream(request: Request, after: After = None, app: App = Depends(get_app),
                 s: Any = ViewerPage) -> StreamingResponse:
    """`changed` frames whenever any incident changes; id = the newest global event id seen."""

    def read(last: int, notified: bool) -> tuple[list[str], int]:
        newest = incidents.last_event_id(app)
        if newest > last or notified:
            return [frame({"after": newest}, event="changed", id=max(newest, last))], max(newest, last)
        return [], last

    return _sse(_stream(request, app, lambda m: m.get("type") == "incident", read, resume_point(request, after),
                        min_gap=QUEUE_MIN_GAP_SECONDS))


def _people_in(events: list[Any]) -> set[int]:
    """The user ids an event's entry may name (roles, pages)."""
    ids: set[int] = set()
    for e in events:
        for key in ("user_id", "previous_user_id"):
            if isinstance(e.data.get(key), int):
                ids.add(e.data[key])
        ids.update(u for u in e.data.get("user_ids", []) if isinstance(u, int))
    return ids


def timeline_frames(app: App, incident_id: int, after_seq: int) -> tuple[list[str], int]:
    """Frames for the events after `after_seq`, each with the rendered timeline entry."""
    with app.db.read() as conn:
        events = incidents.events(conn, incident_id, after_seq=after_seq, limit=BATCH)
        if not events:
            return [], after_seq
        names = load_names(conn, _people_in(events))
    out = [frame({"seq": e.seq, "kind": e.kind, "html": fragment("_event.html", e=e, names=names)},
                 event="timeline", id=e.seq) for e in events]
    return out, events[-1].seq


@router.get("/live/incidents/{ref}")
def incident_stream(ref: PathId, request: Request, after: After = None, app: App = Depends(get_app),
                    s: Any = ViewerPage) -> StreamingResponse:
    """`timeline` frames, one per event, id = seq; resumes after Last-Event-ID (or ?after=)."""
    state = incidents.by_ref(app, ref)
    if state is None:
        raise PageError(404, f"INC-{ref} not found")
    iid = state.id

    def read(last: int, notified: bool) -> tuple[list[str], int]:
        frames, last = timeline_frames(app, iid, last)
        while len(frames) and len(frames) % BATCH == 0:  # a long catch-up: keep reading, bounded by the log
            more, last = timeline_frames(app, iid, last)
            if not more:
                break
            frames += more
        return frames, last

    return _sse(_stream(request, app, lambda m: m.get("incident_id") == iid, read, resume_point(request, after),
                        min_gap=INCIDENT_MIN_GAP_SECONDS))


def start_live_bridge(app: App) -> Callable[[], None]:
    """web.registry BACKGROUND entry: on PostgreSQL, LISTEN for other processes' changes; elsewhere nothing."""
    if app.db.dialect != "postgresql":
        return lambda: None
    from warroom.platform.live import PgListener

    listener = PgListener(app.live, app.settings.database_url)
    if not listener.start():
        import logging

        logging.getLogger("warroom.live").warning("live listener not ready yet; pages poll until it is")
    return listener.stop
