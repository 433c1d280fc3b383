"""Password checks on their own small, bounded pool of threads.

An argon2 verify costs about 0.3 CPU-seconds and 64 MiB. On the thread pool that serves every API route,
16 concurrent bogus logins raised the API's median latency from 12 ms to 174 ms. Here at most `threads` verifies
run at once and at most `queue` more wait for them; a check past that is refused at once (`Busy`: the login
page answers 429 with Retry-After) instead of piling up. The async form leaves the caller's thread free while
it waits, so a login holds no API thread during its verify."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Future, ThreadPoolExecutor

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from warroom.errors import WarroomError

hasher = PasswordHasher()


class Busy(WarroomError):
    """Too many password checks are running or waiting; try again in `retry_after` seconds."""

    status = 429

    def __init__(self, retry_after: int = 1) -> None:
        super().__init__("too many password checks at once; try again in a moment")
        self.retry_after = retry_after


class PasswordChecks:
    def __init__(self, threads: int = 2, queue: int = 4) -> None:
        self.threads = max(1, threads)
        self.capacity = self.threads + max(0, queue)
        self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="warroom-password")
        self._lock = threading.Lock()
        self._admitted = 0
        self.verified = 0  # argon2 verifies run so far (tests count them)

    def _admit(self) -> None:
        with self._lock:
            if self._admitted >= self.capacity:
                raise Busy()
            self._admitted += 1

    def _leave(self) -> None:
        with self._lock:
            self._admitted -= 1

    def _verify(self, stored: str, password: str) -> bool:
        with self._lock:
            self.verified += 1
        try:
            return hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False

    def _submit(self, stored: str, password: str) -> Future[bool]:
        self._admit()
        try:
            future = self._pool.submit(self._verify, stored, password)
        except BaseException:
            self._leave()
            raise
        future.add_done_callback(lambda _: self._leave())  # the slot is held until the verify itself ends
        return future

    def verify(self, stored: str, password: str) -> bool:
        """Whether `password` matches the argon2 hash `stored`; blocks the calling thread (CLI, sync routes)."""
        return self._submit(stored, password).result()

    async def verify_async(self, stored: str, password: str) -> bool:
        """As `verify`, awaited: the event loop and the API's threads stay free while the check runs."""
        return await asyncio.wrap_future(self._submit(stored, password))

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
