"""The one bounded map: least recently used out first, nothing past its age."""

from libs.cache import BoundedCache


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_least_recently_used_goes_first_when_full():
    cache = BoundedCache(3)
    for n in range(3):
        cache.set(n, str(n))
    assert cache.get(0) == "0"  # used: 1 is now the oldest
    cache.set(3, "3")
    assert 1 not in cache and cache.keys() == [2, 0, 3] and len(cache) == 3


def test_entries_expire_and_a_ttl_can_be_given_per_entry():
    clock = Clock()
    cache = BoundedCache(10, ttl_seconds=5, clock=clock)
    cache.set("a", 1)
    cache.set("b", 2, ttl_seconds=60)
    clock.now = 5.0
    assert cache.get("a") is None and cache.get("b") == 2 and "a" not in cache
    assert cache.pop("b") == 2 and cache.pop("b", "gone") == "gone"
    assert cache.setdefault("c", list) == [] and cache.setdefault("c", dict) == []
