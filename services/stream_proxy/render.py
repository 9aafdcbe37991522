"""Stremio stream objects for ranked candidates, and the entries that carry a message instead of a video."""

from __future__ import annotations

from urllib.parse import quote

from libs.schemas.stremio import Stream, StreamHints

from .media_id import MediaId
from .ranking import Candidate

ADDON_NAME = "Chillproxy"


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1000:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.2f} TB"


def video_id(media: MediaId) -> str:
    return f"{media.imdb_id}:{media.season}:{media.episode}" if media.is_episode else media.imdb_id


def play_path(config: str, info_hash: str, media: MediaId, file_name: str | None) -> str:
    """`/stremio/torz/{config}/play/{hash}/{video id}/{file name}`: the file name last, so a player sees the
    container; `auto` when the file is chosen at play time (a torrent TorBox has not cached yet)."""
    name = quote(file_name, safe="") if file_name else "auto"
    return f"/stremio/torz/{config}/play/{info_hash}/{quote(video_id(media), safe='')}/{name}"


def details(candidate: Candidate) -> str:
    """What the release is, on one line as Comet and AIOStreams show it: source, HDR, codec, audio, languages,
    group — whatever its title says."""
    parsed = candidate.parsed
    video = " · ".join(part for part in (parsed.quality, " ".join(parsed.hdr), parsed.codec) if part)
    audio = " ".join([*parsed.audio, *([parsed.channels] if parsed.channels else [])])
    parts = [f"🎞️ {video}" if video else "", f"🔊 {audio}" if audio else ""]
    parts += [
        f"🌐 {' '.join(parsed.languages)}" if parsed.languages else "",
        f"👥 {parsed.group}" if parsed.group else "",
    ]
    if parsed.three_d:
        parts.append("3D")
    return "  ".join(part for part in parts if part)


def stream_entry(candidate: Candidate, media: MediaId, base: str, config: str) -> Stream:
    found = candidate.found
    mark = "⚡" if candidate.cached else "⬇️"
    lines = [found.title]
    if candidate.file is not None and candidate.file.name != found.title:
        lines.append(f"📄 {candidate.file.name}")
    if line := details(candidate):
        lines.append(line)
    lines.append(f"💾 {human_size(candidate.size)}  👤 {found.seeders}  ⚙️ {found.indexer or '?'}")
    if not candidate.cached:
        lines.append("not cached on TorBox yet: playing starts the download")
    file_name = candidate.file.name if candidate.file is not None else None
    # within a pack the next episode should come from the same torrent; films group by quality
    binge = f"chillproxy|{found.hash}" if media.is_episode else f"chillproxy|{candidate.resolution}"
    return Stream(
        name=f"[TB {mark}] {ADDON_NAME}\n{candidate.resolution}",
        description="\n".join(lines),
        url=base + play_path(config, found.hash, media, file_name),
        behavior_hints=StreamHints(
            binge_group=binge,
            filename=file_name,
            video_size=candidate.size if candidate.file is not None else None,
        ),
    )


def message_entry(message: str, base: str, config: str | None) -> Stream:
    """What the user sees instead of streams: the reason, with the configure page one tap away."""
    where = f"/stremio/torz/{config}/configure" if config else "/stremio/torz/configure"
    return Stream(name=f"{ADDON_NAME}\n⚠️", description=message, external_url=base + where)
