"""The file played from a torrent: the right episode in a pack, never a sample or an extra."""

from libs.torbox import path_in_torrent
from services.stream_proxy.files import TorrentFile, is_content_video, pick_file
from services.stream_proxy.media_id import MediaId
from services.stream_proxy.titles import parse_title

GB = 1_000_000_000


def choose(paths: list[tuple[str, int]], media: MediaId, pack: str = "") -> str | None:
    files = [TorrentFile(i, path, size) for i, (path, size) in enumerate(paths)]
    parsed = [parse_title(f.name) for f in files]
    chosen = pick_file(files, parsed, media, parse_title(pack).seasons if pack else ())
    return chosen.path if chosen else None


def test_the_exact_episode_of_a_season_pack_not_the_same_number_of_another_season():
    pack = [
        ("Show.S01E07.1080p.mkv", 2 * GB),
        ("Show.S02E06.1080p.mkv", 2 * GB),
        ("Show.S02E07.1080p.mkv", 2 * GB),
        ("Show.S08E07.1080p.mkv", 3 * GB),  # larger, same episode number: the reported Torrentio bug
    ]
    assert choose(pack, MediaId("tt1", 2, 7)) == "Show.S02E07.1080p.mkv"
    assert choose(pack, MediaId("tt1", 3, 7)) is None  # not in this pack: no guess


def test_samples_extras_and_non_videos_are_never_chosen():
    pack = [
        ("Sample/show.s01e02.sample.mkv", 50_000_000),
        ("Extras/Show.S01E02.Behind.mkv", 9 * GB),
        ("Show.S01E02.1080p.nfo", 1_000),
        ("Show.S01E02.1080p-sample.mkv", 80_000_000),
        ("Show.S01E02.1080p.mkv", 2 * GB),
    ]
    assert choose(pack, MediaId("tt1", 1, 2)) == "Show.S01E02.1080p.mkv"
    assert not is_content_video("Featurettes/Making of.mkv")
    assert not is_content_video("Movie.Trailer.mp4")
    assert is_content_video("Season 1/Show - 1x02.mp4")


def test_a_single_episode_file_comes_before_a_multi_episode_one():
    pack = [("Show.S01E01-E03.1080p.mkv", 6 * GB), ("Show.S01E02.720p.mkv", 1 * GB)]
    assert choose(pack, MediaId("tt1", 1, 2)) == "Show.S01E02.720p.mkv"
    assert choose(pack, MediaId("tt1", 1, 3)) == "Show.S01E01-E03.1080p.mkv"


def test_bare_episode_names_take_the_season_of_a_one_season_pack_only():
    files = [("E01.mkv", GB), ("E02.mkv", GB)]
    assert choose(files, MediaId("tt1", 1, 2), pack="Show.S01.1080p.WEB") == "E02.mkv"
    assert choose(files, MediaId("tt1", 2, 2), pack="Show.S01.1080p.WEB") is None
    assert choose(files, MediaId("tt1", 1, 2), pack="Show.S01-S03.1080p.WEB") is None  # says too little


def test_a_film_is_its_largest_video_never_an_episode_or_a_sample():
    files = [("Movie.2019.sample.mkv", 90_000_000), ("Movie.2019.1080p.mkv", 8 * GB), ("Movie.2019.nfo", 10)]
    assert choose(files, MediaId("tt2")) == "Movie.2019.1080p.mkv"
    assert choose([("Show.S01E01.mkv", GB)], MediaId("tt2")) is None


def test_torbox_names_lose_their_root_folder():
    assert path_in_torrent("Show.S01.1080p/Show.S01E02.mkv") == "Show.S01E02.mkv"
    assert path_in_torrent("Show.S01/Season 1/E02.mkv") == "Season 1/E02.mkv"
    assert path_in_torrent("single.mkv") == "single.mkv"
