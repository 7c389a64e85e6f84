"""Long calls into Go in chunks: a progress bar, and Ctrl-C that reaches Go at once.

A Go call runs on a worker thread while the calling thread waits for it; Ctrl-C in the
waiting thread calls ``capi.Stop`` on the object's handle, so that Go returns within one
Langevin step (a training iteration in progress is undone whole), then the interrupt goes
on as `Interrupted`. Chunks are sized to about `CHUNK_SECONDS` of work each so that the
progress bar moves.
"""

from __future__ import annotations

import threading
import time

from ._lib import capi, gocall

#: Seconds of work per call into Go, so that the progress bar stays lively.
CHUNK_SECONDS = 0.2


class Interrupted(Exception):
    """Ctrl-C during chunked work, after `done` units."""

    def __init__(self, done):
        super().__init__(done)
        self.done = done


class _NoBar:
    def update(self, n=1):
        pass

    def set_postfix(self, **kw):
        pass

    def close(self):
        pass


def bar(total: int, desc: str, enabled: bool):
    """A tqdm bar over `total` steps when enabled and tqdm is installed, else a silent one."""
    if not enabled:
        return _NoBar()
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _NoBar()
    return tqdm(total=total, desc=desc, leave=False)


def stoppable(handle: int, fn, *args):
    """fn(*args) (a call into Go on the object `handle`) on a worker thread. Ctrl-C while it
    runs calls capi.Stop(handle), waits for fn to return, and raises KeyboardInterrupt;
    an exception of fn is raised here."""
    if threading.current_thread() is not threading.main_thread():
        return fn(*args)  # only the main thread gets KeyboardInterrupt
    out = {}

    def work():
        try:
            out["value"] = fn(*args)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            out["error"] = exc

    t = threading.Thread(target=work, name="anila-call", daemon=True)
    t.start()
    interrupted = False
    while t.is_alive():
        try:
            t.join(0.05)
        except KeyboardInterrupt:
            interrupted = True
            gocall(capi.Stop, handle)
    if interrupted:
        raise KeyboardInterrupt
    if "error" in out:
        raise out["error"]
    return out.get("value")


def in_chunks(total: int, desc: str, progress: bool, run, max_chunk: int, deadline=None, agree=None) -> None:
    """Do `total` units of work as run(k) -> (units done, progress-bar postfix or None), in
    chunks of about CHUNK_SECONDS each, stopping after the chunk that passes `deadline` (a
    time.perf_counter() value) if given, or after a chunk that did fewer units than asked.
    Ctrl-C raises Interrupted with the units done. With agree (data-parallel training),
    agree(k, done) -> (k, stop) sets each chunk's size and whether to stop before it, the same
    on every rank (it raises Interrupted itself)."""
    pbar = bar(total, desc, progress)
    done, chunk = 0, 1
    try:
        while done < total:
            n = min(chunk, total - done)
            if agree is not None:
                n, stop = agree(n, done)
                if stop:
                    break
            t0 = time.perf_counter()
            k, postfix = run(n)
            dt = time.perf_counter() - t0
            done += k
            pbar.update(k)
            if postfix:
                pbar.set_postfix(**postfix)
            if k < n or (deadline is not None and time.perf_counter() >= deadline):
                break
            chunk = max(1, min(max_chunk, int(CHUNK_SECONDS / max(dt / max(k, 1), 1e-7))))
    except KeyboardInterrupt:
        raise Interrupted(done) from None
    finally:
        pbar.close()
