"""Ranking and trimming: cached first, then resolution, quality, codec, seeders, size; filters and the cap."""

from libs.schemas.stremio import Filters, FoundRelease
from services.stream_proxy.files import TorrentFile
from services.stream_proxy.ranking import Candidate, rank
from services.stream_proxy.titles import parse_title

GB = 1_000_000_000


def candidate(title: str, seeders: int = 10, size: int = 2 * GB, cached: bool = True, file_size: int | None = None):
    found = FoundRelease(hash=f"{abs(hash(title)):040x}"[:40], title=title, size=size, seeders=seeders, indexer="x")
    file = TorrentFile(0, f"{title}.mkv", file_size) if file_size is not None else None
    return Candidate(found, parse_title(title), cached=cached, file=file)


def titles(candidates):
    return [c.found.title for c in candidates]


def test_cached_first_then_resolution_quality_codec_seeders_size():
    pool = [
        candidate("Movie.2019.2160p.WEB-DL", cached=False, seeders=500),
        candidate("Movie.2019.720p.BluRay", seeders=90),
        candidate("Movie.2019.1080p.WEBRip", seeders=900),
        candidate("Movie.2019.1080p.BluRay", seeders=5),
        candidate("Movie.2019.1080p.BluRay.x265", seeders=50, size=3 * GB),
        candidate("Movie.2019.1080p.BluRay.x264", seeders=50, size=9 * GB),
    ]
    assert titles(rank(pool, Filters())) == [
        "Movie.2019.1080p.BluRay.x265",  # HEVC before AVC, whatever the size
        "Movie.2019.1080p.BluRay.x264",
        "Movie.2019.1080p.BluRay",  # BluRay before WEBRip whatever the seeders
        "Movie.2019.1080p.WEBRip",
        "Movie.2019.720p.BluRay",
        "Movie.2019.2160p.WEB-DL",  # not cached: after every cached one
    ]


def test_among_equals_more_seeders_then_the_larger_file():
    pool = [
        candidate("Movie.2019.1080p.BluRay.x264-A", seeders=50, size=3 * GB),
        candidate("Movie.2019.1080p.BluRay.x264-B", seeders=50, size=9 * GB),
        candidate("Movie.2019.1080p.BluRay.x264-C", seeders=80, size=1 * GB),
    ]
    assert [t[-1] for t in titles(rank(pool, Filters()))] == ["C", "B", "A"]


def test_a_cap_per_resolution():
    pool = [candidate(f"Movie.2019.1080p.WEB.{n}", seeders=n) for n in range(8)]
    pool += [candidate("Movie.2019.720p.WEB", seeders=1)]
    kept = rank(pool, Filters(per_resolution=3))
    assert titles(kept) == [
        "Movie.2019.1080p.WEB.7",
        "Movie.2019.1080p.WEB.6",
        "Movie.2019.1080p.WEB.5",
        "Movie.2019.720p.WEB",
    ]


def test_the_users_filters():
    pool = [
        candidate("Movie.2019.2160p.WEB", size=30 * GB),
        candidate("Movie.2019.1080p.WEB", size=4 * GB),
        candidate("Movie.2019.1080p.FRENCH.WEB", size=4 * GB),
        candidate("Movie.2019.720p.WEB", size=1 * GB, cached=False),
        candidate("Pack.1080p.WEB", size=60 * GB, file_size=3 * GB),  # the episode's own size counts
    ]
    assert titles(rank(pool, Filters(resolutions=["1080p"], languages=["fr"]))) == ["Movie.2019.1080p.FRENCH.WEB"]
    assert "Movie.2019.2160p.WEB" not in titles(rank(pool, Filters(max_size_gb=10)))
    assert "Pack.1080p.WEB" in titles(rank(pool, Filters(max_size_gb=10)))
    assert "Movie.2019.720p.WEB" not in titles(rank(pool, Filters(cached_only=True)))
    # no language named: English, the scene's default
    assert "Movie.2019.1080p.WEB" in titles(rank(pool, Filters(languages=["en"])))
