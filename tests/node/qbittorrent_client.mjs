// Drives a qBittorrent WebAPI with @ctrl/qbittorrent (npm) — the library Homarr's download widget uses — the
// way Homarr and scripts call it. Reads {baseUrl, username, password, magnets, torrent} on standard input
// (`torrent`: a .torrent in base64), prints what each call answered (or the error it threw) as JSON.
import { QBittorrent } from "@ctrl/qbittorrent";

const input = JSON.parse(await new Promise((resolve) => {
  let text = "";
  process.stdin.on("data", (chunk) => (text += chunk));
  process.stdin.on("end", () => resolve(text));
}));

const answers = {};
async function call(name, action) {
  try {
    answers[name] = (await action()) ?? null;
  } catch (error) {
    answers[name] = { error: String(error.message || error), status: error.statusCode ?? error.status ?? null };
  }
}

const wrong = new QBittorrent({ baseUrl: input.baseUrl, username: input.username, password: "not it" });
await call("wrongLogin", () => wrong.login());

const client = new QBittorrent({ baseUrl: input.baseUrl, username: input.username, password: input.password });
const [first, second] = input.magnets;
await call("version", () => client.getAppVersion()); // Homarr's first call: logs in, learns v5 endpoints
await call("apiVersion", () => client.getApiVersion());
await call("defaultSavePath", () => client.getDefaultSavePath());
await call("preferences", async () => Object.keys(await client.getPreferences()).length);
await call("addMagnet", () => client.addMagnet(first, { category: "tv", tags: "homarr,b" }));
await call("addMagnetAgain", () => client.addMagnet(first, { category: "tv" }));
await call("addTorrent", () => client.addTorrent(Buffer.from(input.torrent, "base64"), { category: "movies" }));
await call("normalizedAdd", () => client.normalizedAddTorrent(second, { label: "tv", startPaused: true }));
// Homarr's widget: one page at a time, sorted, filtered by category
await call("page", async () =>
  (await client.listTorrents({ limit: 1, offset: 0, sort: "name", reverse: true, category: "tv" })).map((t) => t.name));
await call("allData", async () => {
  const all = await client.getAllData();
  return { torrents: all.torrents.map((t) => [t.id, t.label, t.state]), labels: all.labels };
});
await call("mainData", async () => {
  const full = await client.getSyncMainData(0);
  const next = await client.getSyncMainData(full.rid);
  return {
    full: Object.keys(full.torrents).length,
    fullUpdate: full.full_update,
    nextFullUpdate: next.full_update ?? false,
    next: Object.keys(next.torrents ?? {}), // only what changed since (downloads may be moving)
  };
});
const hash = input.hashes[0];
await call("properties", async () => (await client.torrentProperties(hash)).save_path);
await call("files", () => client.torrentFiles(hash));
await call("trackers", async () => (await client.torrentTrackers(hash)).map((t) => t.url));
await call("webSeeds", () => client.torrentWebSeeds(hash));
await call("peers", async () => (await client.torrentPeers(hash)).peers);
await call("createTags", () => client.createTags("kept,dropped"));
await call("addTags", () => client.addTorrentTags(hash, "extra"));
await call("tagsOfOne", async () => (await client.getTorrent(hash)).raw.tags);
await call("removeTags", () => client.removeTorrentTags(hash));
await call("tagsOfOneAfter", async () => (await client.getTorrent(hash)).raw.tags);
await call("deleteTags", () => client.deleteTags("dropped"));
await call("tags", async () => (await client.getTags()).sort());
await call("createCategory", () => client.createCategory("music", ""));
await call("setCategory", () => client.setTorrentCategory(hash, "music"));
await call("categories", async () => Object.keys(await client.getCategories()).sort());
await call("pauseAll", () => client.pauseTorrent("all"));
await call("stopped", async () => (await client.listTorrents({ filter: "stopped" })).length);
await call("resumeAll", () => client.resumeTorrent("all"));
await call("states", async () => (await client.listTorrents()).map((t) => t.state));
await call("remove", () => client.removeTorrent(hash, true));
await call("left", async () => (await client.listTorrents()).map((t) => t.hash).sort());
await call("missing", () => client.getTorrent(hash));
process.stdout.write(JSON.stringify(answers));
