"""The stream list's ranking on a catalogue of realistic release names — every kind the parser tells apart:
HDR / Dolby Vision / HDR10+, AV1 / HEVC / AVC, Atmos / TrueHD / DTS-HD / DD+, REMUX / BluRay / WEB-DL /
WEBRip / HDTV, languages, groups, and the kinds a user leaves out (CAM, TS, SCR, 3D, hardcoded subs)."""

import pytest

from libs.schemas.stremio import Filters
from services.stream_proxy.ranking import rank
from services.stream_proxy.render import details
from tests.stream_proxy.test_ranking import GB, candidate, titles

# (title, size in GB, seeders, cached)
CATALOGUE = [
    ("Dune.Part.Two.2024.2160p.UHD.BluRay.REMUX.DV.HDR10.HEVC.TrueHD.Atmos.7.1-FGT", 78, 120, True),
    ("Dune.Part.Two.2024.2160p.UHD.BluRay.REMUX.HDR10.HEVC.TrueHD.7.1-BLURANiUM", 74, 80, True),
    ("Dune.Part.Two.2024.2160p.BluRay.DV.HEVC.DTS-HD.MA.7.1-SWTYBLZ", 45, 60, True),
    ("Dune.Part.Two.2024.2160p.WEB-DL.DV.HDR10+.DDP5.1.Atmos.HEVC-FLUX", 24, 300, True),
    ("Dune.Part.Two.2024.2160p.WEB-DL.HDR10+.DDP5.1.AV1-GRP", 14, 90, True),
    ("Dune.Part.Two.2024.2160p.WEB-DL.HDR.DDP5.1.H.265-NTb", 20, 150, True),
    ("Dune.Part.Two.2024.2160p.WEB-DL.DDP5.1.H.265-EDITH", 18, 40, True),
    ("Dune.Part.Two.2024.2160p.WEBRip.x265.10bit.AAC5.1-LAMA", 9, 500, True),
    ("Dune.Part.Two.2024.2160p.HDR.WEBRip.DD5.1.x265-RARBG", 12, 30, False),
    ("Dune.Part.Two.2024.1080p.BluRay.REMUX.AVC.TrueHD.Atmos.7.1-FGT", 38, 70, True),
    ("Dune.Part.Two.2024.1080p.BluRay.x264.DTS-HD.MA.7.1-SPARKS", 16, 90, True),
    ("Dune.Part.Two.2024.1080p.BluRay.x265.10bit.DDP5.1-GalaxyRG265", 4, 800, True),
    ("Dune.Part.Two.2024.1080p.WEB-DL.DDP5.1.Atmos.H.264-FLUX", 8, 1200, True),
    ("Dune.Part.Two.2024.1080p.WEB-DL.DDP5.1.H.264-CMRG", 7, 400, True),
    ("Dune.Part.Two.2024.1080p.WEB-DL.AAC2.0.H.264-EVO", 4, 200, True),
    ("Dune.Part.Two.2024.1080p.WEB-DL.DDP5.1.AV1-GRP", 3, 50, True),
    ("Dune.Part.Two.2024.1080p.WEBRip.x264.AAC5.1-YTS", 2, 3000, True),
    ("Dune.Part.Two.2024.1080p.WEBRip.x265-YIFY", 2, 2500, True),
    ("Dune.Part.Two.2024.1080p.WEBRip.x265-NOTYIFY", 2, 10, True),
    ("Dune.Part.Two.2024.1080p.WEB-DL.MULTi.FRENCH.DDP5.1.H.264-FRATERNiTY", 8, 100, True),
    ("Dune.Part.Two.2024.1080p.WEB-DL.GERMAN.DL.DDP5.1.H.264-WvF", 8, 60, True),
    ("Dune.Part.Two.2024.1080p.WEB-DL.SPANISH.DDP5.1.H.264-HDO", 7, 30, True),
    ("Dune.Part.Two.2024.1080p.WEBRip.ITALIAN.AAC.x264-iDN", 3, 20, True),
    ("Dune.Part.Two.2024.1080p.HC.WEBRip.x264.AAC-EVO", 2, 900, True),
    ("Dune.Part.Two.2024.3D.1080p.BluRay.Half-SBS.x264.DTS-HD.MA.7.1-FGT", 20, 15, True),
    ("Dune.Part.Two.2024.1080p.3D.BluRay.HOU.x264-LEGi0N", 14, 12, True),
    ("Dune.Part.Two.2024.1080p.BluRay.REMUX.AVC.DTS-HD.MA.5.1-EPSiLON", 33, 25, False),
    ("Dune.Part.Two.2024.720p.BluRay.x264.DTS-SPARKS", 6, 60, True),
    ("Dune.Part.Two.2024.720p.WEB-DL.DDP5.1.H.264-FLUX", 4, 150, True),
    ("Dune.Part.Two.2024.720p.WEBRip.x264.AAC-YTS", 1, 2000, True),
    ("Dune.Part.Two.2024.720p.HDTV.x264-KILLERS", 1, 40, True),
    ("Dune.Part.Two.2024.720p.WEB-DL.HEVC.AAC-PSA", 1, 600, True),
    ("Dune.Part.Two.2024.720p.WEBRip.FRENCH.x264-NoTag", 1, 10, False),
    ("Dune.Part.Two.2024.480p.WEB-DL.x264-mSD", 1, 30, True),
    ("Dune.Part.Two.2024.DVDRip.XviD-EVO", 1, 40, True),
    ("Dune.Part.Two.2024.HDCAM.x264-SUNSCREEN", 1, 5000, True),
    ("Dune.Part.Two.2024.1080p.CAM.x264-BLOOM", 2, 4000, True),
    ("Dune.Part.Two.2024.HDTS.x264-CMRG", 1, 3000, True),
    ("Dune.Part.Two.2024.720p.TELESYNC.x264-WATCHER", 1, 1000, True),
    ("Dune.Part.Two.2024.TC.x264-LEAK", 1, 200, True),
    ("Dune.Part.Two.2024.DVDSCR.x264-BLOW", 1, 100, True),
    ("Dune.Part.Two.2024.SCREENER.x264-SCRN", 1, 90, True),
    ("Dune.Part.Two.2024.2160p.AMZN.WEB-DL.DDP5.1.Atmos.DV.HDR10.H.265-CMRG", 22, 110, True),
    ("Dune.Part.Two.2024.2160p.MA.WEB-DL.DDP5.1.Atmos.HDR10.H.265-TEPES", 21, 85, True),
    ("Dune.Part.Two.2024.2160p.iT.WEB-DL.DDP5.1.Atmos.DV.H.265-playWEB", 23, 95, False),
    ("Dune.Part.Two.2024.1080p.AMZN.WEB-DL.DDP5.1.Atmos.H.264-CMRG", 9, 700, True),
    ("Dune.Part.Two.2024.1080p.MA.WEB-DL.DDP5.1.H.264-TEPES", 8, 300, False),
    ("Dune.Part.Two.2024.1080p.BluRay.DD5.1.x264-playHD", 12, 55, True),
    ("Dune.Part.Two.2024.1080p.BluRay.AAC.x264-RiPRG", 3, 80, True),
    ("Dune.Part.Two.2024.1080p.WEB-DL.DTS.H.264-HONE", 9, 20, True),
    ("Dune.Part.Two.2024.1080p.HDTV.x264-PLUTONiUM", 3, 10, True),
    ("Dune.Part.Two.2024.2160p.BluRay.x265.10bit.SDR.DTS-HD.MA.TrueHD.7.1.Atmos-SWTYBLZ", 40, 45, True),
    ("Dune.Part.Two.2024.MULTi.2160p.WEB-DL.HDR10+.DDP5.1.AV1-TFA", 16, 35, True),
    ("Dune.Part.Two.2024.1080p.WEB-DL.VOSTFR.DDP5.1.H.264-FRATERNiTY", 7, 25, True),
]
UNWANTED = {
    "cam": ["HDCAM.x264-SUNSCREEN", "1080p.CAM.x264-BLOOM"],
    "telesync": ["HDTS.x264-CMRG", "720p.TELESYNC.x264-WATCHER", "TC.x264-LEAK"],
    "screener": ["DVDSCR.x264-BLOW", "SCREENER.x264-SCRN"],
    "3d": ["3D.1080p.BluRay.Half-SBS", "1080p.3D.BluRay.HOU"],
    "hardcoded": ["1080p.HC.WEBRip"],
}


@pytest.fixture(scope="module")
def pool():
    return [candidate(t, seeders=s, size=gb * GB, cached=c) for t, gb, s, c in CATALOGUE]


def short(names):
    return [n.removeprefix("Dune.Part.Two.2024.") for n in names]


def test_the_catalogue_has_every_kind():
    assert len(CATALOGUE) >= 50
    parsed = [candidate(t).parsed for t, *_ in CATALOGUE]
    assert {"DV", "HDR10+", "HDR10", "HDR"} <= {h for p in parsed for h in p.hdr}
    assert {"AV1", "HEVC", "AVC"} <= {p.codec for p in parsed}
    assert {"Atmos", "TrueHD", "DTS-HD", "DD+", "DD", "DTS", "AAC"} <= {a for p in parsed for a in p.audio}
    assert {"BluRay REMUX", "BluRay", "WEB-DL", "WEBRip", "HDTV", "CAM", "TeleSync", "SCR"} <= {
        p.quality for p in parsed
    }
    assert {"fr", "de", "es", "it"} <= {lang for p in parsed for lang in p.languages}
    assert sum(p.three_d for p in parsed) == 2 and sum(p.hardcoded for p in parsed) == 1


def test_best_quality_first(pool):
    ranked = short(titles(rank(pool, Filters(per_resolution=50))))
    assert ranked[:9] == [
        "2160p.UHD.BluRay.REMUX.DV.HDR10.HEVC.TrueHD.Atmos.7.1-FGT",  # remux, Dolby Vision, Atmos
        "2160p.UHD.BluRay.REMUX.HDR10.HEVC.TrueHD.7.1-BLURANiUM",  # remux, HDR10, TrueHD
        "2160p.BluRay.DV.HEVC.DTS-HD.MA.7.1-SWTYBLZ",  # Blu-ray encodes: DV before SDR
        "2160p.BluRay.x265.10bit.SDR.DTS-HD.MA.TrueHD.7.1.Atmos-SWTYBLZ",
        "2160p.WEB-DL.DV.HDR10+.DDP5.1.Atmos.HEVC-FLUX",  # WEB-DL: DV, then HDR10+, then HDR10
        "2160p.AMZN.WEB-DL.DDP5.1.Atmos.DV.HDR10.H.265-CMRG",
        "2160p.WEB-DL.HDR10+.DDP5.1.AV1-GRP",  # the same as the next but for its seeders
        "MULTi.2160p.WEB-DL.HDR10+.DDP5.1.AV1-TFA",
        "2160p.MA.WEB-DL.DDP5.1.Atmos.HDR10.H.265-TEPES",
    ]
    # uncached ones come after every cached one; the unwanted kinds sink within their resolution
    cached = [c.cached for c in rank(pool, Filters(per_resolution=50))]
    assert cached == sorted(cached, reverse=True)
    cached = {c.found.title for c in pool if c.cached}
    p1080 = [n for n in ranked if n.startswith("1080p") and "3D" not in n and f"Dune.Part.Two.2024.{n}" in cached]
    assert p1080[0] == "1080p.BluRay.REMUX.AVC.TrueHD.Atmos.7.1-FGT" and p1080[-1] == "1080p.CAM.x264-BLOOM"
    assert p1080.index("1080p.WEB-DL.DDP5.1.Atmos.H.264-FLUX") < p1080.index("1080p.WEB-DL.AAC2.0.H.264-EVO")
    assert p1080.index("1080p.WEB-DL.DDP5.1.AV1-GRP") < p1080.index("1080p.WEB-DL.DDP5.1.H.264-CMRG")  # AV1 > AVC


@pytest.mark.parametrize("kind", sorted(UNWANTED))
def test_each_unwanted_kind_can_be_left_out(pool, kind):
    shown = " ".join(titles(rank(pool, Filters(per_resolution=50))))
    kept = " ".join(titles(rank(pool, Filters(per_resolution=50, exclude=[kind]))))
    for marker in UNWANTED[kind]:
        assert marker in shown and marker not in kept
    assert len(kept.split()) == len(shown.split()) - len(UNWANTED[kind])


def test_keywords_are_whole_words(pool):
    kept = short(titles(rank(pool, Filters(per_resolution=50, exclude_keywords=["YIFY", "yts"]))))
    assert "1080p.WEBRip.x265-YIFY" not in kept and "1080p.WEBRip.x264.AAC5.1-YTS" not in kept
    assert "1080p.WEBRip.x265-NOTYIFY" in kept  # a keyword is a word, not any text


def test_preferred_languages_first_the_others_kept(pool):
    ranked = rank(pool, Filters(per_resolution=50, prefer_languages=["fr"]))
    assert short(titles(ranked[:2])) == [
        "1080p.WEB-DL.MULTi.FRENCH.DDP5.1.H.264-FRATERNiTY",
        "1080p.WEB-DL.VOSTFR.DDP5.1.H.264-FRATERNiTY",
    ]
    assert len(ranked) == len(CATALOGUE)  # the others are kept, after
    uncached = [c for c in ranked if not c.cached]
    assert short(titles(uncached[:1])) == ["720p.WEBRip.FRENCH.x264-NoTag"]  # cached ones first, whatever language


def test_smallest_cached_first(pool):
    ranked = rank(pool, Filters(per_resolution=50, sort="smallest", exclude=["cam", "telesync", "screener"]))
    cached_sizes = [c.size for c in ranked if c.cached]
    assert cached_sizes == sorted(cached_sizes) and not ranked[-1].cached
    assert short(titles(ranked))[0] == "720p.WEB-DL.HEVC.AAC-PSA"  # 1 GB, and the best of the 1 GB ones


def test_balanced_best_source_then_the_smaller_file(pool):
    ranked = short(titles(rank(pool, Filters(per_resolution=50, sort="balanced"))))
    web = [n for n in ranked if n.startswith(("2160p.WEB-DL", "2160p.AMZN", "2160p.MA", "MULTi.2160p"))]
    assert web[:2] == ["2160p.WEB-DL.HDR10+.DDP5.1.AV1-GRP", "MULTi.2160p.WEB-DL.HDR10+.DDP5.1.AV1-TFA"]  # 14, 16 GB
    assert ranked[0] == "2160p.UHD.BluRay.REMUX.HDR10.HEVC.TrueHD.7.1-BLURANiUM"  # the smaller of the two remuxes


def test_each_stream_says_what_it_is_on_one_line():
    assert details(candidate(CATALOGUE[0][0])) == "🎞️ BluRay REMUX · DV HDR10 · HEVC  🔊 Atmos TrueHD 7.1  👥 FGT"
    assert details(candidate("Dune.Part.Two.2024.1080p.WEB-DL.MULTi.FRENCH.DDP5.1.H.264-FRATERNiTY")) == (
        "🎞️ WEB-DL · AVC  🔊 DD+ 5.1  🌐 fr  👥 FRATERNiTY"
    )
    assert "3D" in details(candidate("Dune.Part.Two.2024.3D.1080p.BluRay.Half-SBS.x264.DTS-HD.MA.7.1-FGT"))
