"""Release titles parsed off the event loop, and matched against what was asked."""

import asyncio
import os
import socket
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from libs.embedded import wait_for
from services.stream_proxy.media_id import MediaId
from services.stream_proxy.parsing import TitleParser, matches
from services.stream_proxy.titles import parse_title, same_titles
from services.stream_proxy.workers import WorkerFailed, WorkerPool

ROOT = Path(__file__).resolve().parents[2]
MOVIE = MediaId("tt0133093")
EPISODE = MediaId("tt0944947", 1, 2)


@pytest.mark.parametrize(
    ("raw", "media", "title", "year", "expected"),
    [
        ("The.Matrix.1999.1080p.BluRay.x264-GROUP", MOVIE, "The Matrix", 1999, True),
        ("The.Matrix.2000.720p.WEB", MOVIE, "The Matrix", 1999, True),  # a year off is tolerated
        ("The.Matrix.Reloaded.2003.1080p", MOVIE, "The Matrix", 1999, False),
        ("The.Matrix.1989.1080p", MOVIE, "The Matrix", 1999, False),
        ("The.Matrix.S01E01.1080p", MOVIE, "The Matrix", 1999, False),  # an episode is not the film
        ("Game.of.Thrones.S01E02.720p.HDTV", EPISODE, "Game of Thrones", 2011, True),
        ("Game.of.Thrones.S01.COMPLETE.1080p.BluRay", EPISODE, "Game of Thrones", 2011, True),  # season pack
        ("Game.of.Thrones.S01E01-E03.1080p", EPISODE, "Game of Thrones", 2011, True),
        ("Game.of.Thrones.S01E03.720p", EPISODE, "Game of Thrones", 2011, False),
        ("Game.of.Thrones.S02.1080p", EPISODE, "Game of Thrones", 2011, False),
        ("Game.of.Thrones.Behind.The.Scenes.1080p", EPISODE, "Game of Thrones", 2011, False),
        ("House.of.the.Dragon.S01E02.1080p", EPISODE, "Game of Thrones", 2011, False),
        ("Anything.S01E02.1080p", EPISODE, None, None, True),  # without a title only the episode decides
    ],
)
def test_matches(raw, media, title, year, expected):
    parsed = parse_title(raw)
    same = same_titles(title, [parsed.title])[0] if title else True
    assert matches(parsed, media, year, same) is expected


def test_parsed_fields():
    parsed = parse_title("Game.of.Thrones.S01.COMPLETE.1080p.BluRay")
    assert (parsed.title, parsed.resolution, parsed.seasons, parsed.episodes) == ("Game of Thrones", "1080p", (1,), ())


def test_the_service_process_never_imports_rtn():
    """RTN (and parsett) live in the parsing workers only: importing the service's app leaves them out."""
    probe = (
        "import sys, services.stream_proxy.app\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('RTN', 'PTT')))"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


async def test_titles_are_compared_in_a_worker():
    parser = TitleParser(workers=1)
    try:
        assert await parser.same_titles("The Matrix", ["The Matrix", "The Matrix Reloaded", ""]) == [True, False, True]
        assert await parser.same_titles(None, ["Anything"]) == [True]
    finally:
        parser.close()


async def test_parsing_happens_in_a_worker_and_is_remembered():
    parser = TitleParser()
    try:
        first = await parser.parse(["The.Matrix.1999.1080p.BluRay", "Show.S01E02.720p"])
        assert [p.resolution for p in first] == ["1080p", "720p"]
        again = await parser.parse(["Show.S01E02.720p"])
        assert again[0] is first[1]  # from memory, not parsed again
    finally:
        parser.close()


async def test_a_search_keeps_its_titles_while_another_fills_the_memory():
    """Titles are remembered up to a bound; one search's new titles pushing out another's, while that one
    waits for its workers, must not take them from under it (a KeyError: a 500 for the user)."""
    parser = TitleParser(workers=1, max_titles=3)
    try:
        await parser.parse(["Film.A.2001.720p", "Film.B.2002.720p"])
        first, second = await asyncio.gather(
            parser.parse(["Film.A.2001.720p", "Film.B.2002.720p", "Film.C.2003.1080p"]),
            parser.parse([f"Other.{n}.2010.2160p" for n in range(5)]),
        )
        assert [p.raw for p in first] == ["Film.A.2001.720p", "Film.B.2002.720p", "Film.C.2003.1080p"]
        assert [p.resolution for p in second] == ["2160p"] * 5
    finally:
        parser.close()


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except FileNotFoundError:  # the descriptor listdir itself used
            continue
        if link.startswith("socket:"):
            inodes.add(link)
    return inodes


async def test_the_workers_hold_none_of_the_services_sockets():
    """A worker holding a copy of a connection keeps it open after the service closes it: Traefik would
    reuse it and wait for an answer for ever."""
    with socket.create_server(("127.0.0.1", 0)) as server, socket.create_connection(server.getsockname()):
        ours = _socket_inodes(os.getpid())
        assert len(ours) >= 3  # the listener and both ends of the connection
        parser = TitleParser(workers=2)
        try:
            await parser.start()
            workers = parser.worker_pids
            assert len(set(workers)) == 2  # both started before any search
            for pid in workers:
                assert not _socket_inodes(pid) & ours, f"worker {pid} inherited the service's sockets"
        finally:
            parser.close()


SERVICE_WITH_A_PARSER = """
import asyncio, sys
from services.stream_proxy.parsing import TitleParser

async def main():
    parser = TitleParser()
    await parser.start()
    print("ready", flush=True)
    await asyncio.sleep(120)

asyncio.run(main())
"""


def test_the_workers_end_when_the_service_is_killed():
    """A crashed stream-proxy restarted by `make run` must not leave its workers behind."""
    service = subprocess.Popen(
        [sys.executable, "-c", SERVICE_WITH_A_PARSER], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert service.stdout.readline().strip() == "ready"
        helpers = psutil.Process(service.pid).children(recursive=True)
        assert len(helpers) == 2  # the two workers (the second forked by the first), nothing else
    finally:
        service.kill()
        service.wait()

    def all_ended() -> bool:
        return not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in helpers)

    wait_for(all_ended, 20, "the workers to end")


async def test_a_worker_that_dies_is_replaced_and_the_call_answered():
    parser = TitleParser(workers=1)
    try:
        await parser.start()
        (first,) = parser.worker_pids
        os.kill(first, 9)
        parsed = await parser.parse(["The.Matrix.1999.1080p.BluRay"])
        assert parsed[0].resolution == "1080p"
        assert parser.worker_pids != [first]
    finally:
        parser.close()


async def test_a_call_given_up_by_its_caller_leaves_no_answer_behind():
    """A player closing its connection cancels the search: the worker's answer to it must not be read by
    the next call as its own."""
    parser = TitleParser(workers=1)
    try:
        await parser.start()
        given_up = asyncio.ensure_future(parser.parse([f"Given.Up.{n}.2001.720p" for n in range(300)]))
        await asyncio.sleep(0.01)
        given_up.cancel()
        parsed = await parser.parse(["Next.Call.S01E02.2160p"])
        assert [(p.raw, p.resolution) for p in parsed] == [("Next.Call.S01E02.2160p", "2160p")]
    finally:
        parser.close()


async def test_a_call_the_worker_cannot_answer_is_an_error_and_the_worker_goes_on():
    pool = WorkerPool(1)
    try:
        with pytest.raises(WorkerFailed, match="KeyError"):
            await pool.call("no_such_function", (), list[bool])
        with pytest.raises(WorkerFailed, match="TypeError"):
            await pool.call("same_titles", (1,), list[bool])
        assert await pool.call("same_titles", ("Heat", ["Heat", "Cold"]), list[bool]) == [True, False]
    finally:
        pool.close()
