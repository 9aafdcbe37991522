from libs.ratelimit import WindowLimiter


def test_every_window_must_allow_the_call():
    limiter = WindowLimiter((3, 3600), (2, 60))
    assert limiter.acquire("k", now=0) is None
    assert limiter.acquire("k", now=1) is None
    assert limiter.acquire("k", now=2) == 58  # two in the last minute: the first leaves it at 60
    assert limiter.acquire("other", now=2) is None  # per key
    assert limiter.acquire("k", now=61) is None
    assert limiter.acquire("k", now=200) == 3400  # three in the hour: the one at 0 leaves at 3600
    assert limiter.acquire("k", now=3600.5) is None
