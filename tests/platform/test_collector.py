"""platform/collector.bulk_work: the cyclic collector is paused inside, resumed by the last of
several overlapping blocks, and left as it was found."""

from __future__ import annotations

import gc
import threading

from carbonbridge.platform.collector import bulk_work


def test_paused_inside_and_resumed_after() -> None:
    assert gc.isenabled()
    with bulk_work():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_resumed_after_an_error() -> None:
    try:
        with bulk_work():
            raise ValueError("boom")
    except ValueError:
        pass
    assert gc.isenabled()


def test_overlapping_blocks_resume_only_when_the_last_ends() -> None:
    inside, release = threading.Event(), threading.Event()

    def other() -> None:
        with bulk_work():
            inside.set()
            release.wait(10)

    worker = threading.Thread(target=other)
    with bulk_work():
        worker.start()
        inside.wait(10)
    assert not gc.isenabled()  # the other block is still running
    release.set()
    worker.join(10)
    assert gc.isenabled()


def test_a_collector_disabled_before_stays_disabled() -> None:
    gc.disable()
    try:
        with bulk_work():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
