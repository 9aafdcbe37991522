"""Background rounds that fail: an outage is one short line, anything else comes with its traceback."""

import asyncio

from libs.tasks import every


async def test_an_unexpected_failure_is_logged_with_its_traceback_an_outage_without(log_lines):
    failures = iter([ConnectionRefusedError("database away"), KeyError("a bug")])

    async def job():
        error = next(failures, None)
        if error is not None:
            raise error

    runner = asyncio.create_task(every(0.01, job, what="test round", first_now=True))
    await asyncio.sleep(0.2)
    runner.cancel()
    await asyncio.gather(runner, return_exceptions=True)
    outage, bug = [line for line in log_lines() if line["event"] == "test round failed; will retry"]
    assert outage["error"] == "ConnectionRefusedError" and "exception" not in outage
    assert bug["error"] == "KeyError" and bug["exception"][0]["frames"][-1]["name"] == "job"
