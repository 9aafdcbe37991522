// Drives the notifier's settings page in Debian's Chromium: logs in (Basic, the admin token as password),
// fills Jellyfin's fields and a path mapping, saves, tests the connection, reads the Sonarr webhook's URL and
// last event, adds an alert target and sends it a test alert, prints what the page shows.
// Usage: node settings_page.js <url> <admin token> <json of choices>
const { launch } = require("./browser");

(async () => {
  const [url, token, raw] = process.argv.slice(2);
  const choices = JSON.parse(raw);
  const browser = await launch();
  try {
    const context = await browser.newContext({ httpCredentials: { username: "admin", password: token } });
    const page = await context.newPage();
    await page.goto(url);
    await page.waitForFunction(() => document.getElementById("coalesce").value !== "");
    const loaded = await page.inputValue("#coalesce");
    await page.waitForFunction(() => document.getElementById("hook-sonarr").value !== "");
    const sonarrHook = await page.inputValue("#hook-sonarr");
    const sonarrLast = (await page.textContent("#hook-sonarr-last")).trim();
    await page.selectOption("#refreshOn", choices.refreshOn);
    await page.check("#jellyfin [name=enabled]");
    await page.fill("#jellyfin [name=url]", choices.url);
    await page.fill("#jellyfin [name=apiKey]", choices.apiKey);
    await page.fill("#mappings", choices.mappings);
    await page.fill("#coalesce", String(choices.coalesce));
    await page.click("#save");
    await page.waitForFunction(() => document.getElementById("status").textContent !== "");
    const saved = (await page.textContent("#status")).trim();
    const keyShown = await page.inputValue("#jellyfin [name=apiKey]");
    await page.click("[data-test=jellyfin]");
    await page.waitForFunction(() => document.querySelector("#jellyfin .result").textContent !== "");
    const tested = (await page.textContent("#jellyfin .result")).trim();
    await page.fill("#emby [name=url]", "");
    await page.check("#emby [name=enabled]");
    await page.click("#save");
    await page.waitForFunction(() => document.getElementById("status").textContent.startsWith("Not saved"));
    const refused = (await page.textContent("#status")).trim();
    await page.uncheck("#emby [name=enabled]");
    await page.click("#add-target");
    await page.fill("#targets .target [name=name]", "phone");
    await page.selectOption("#targets .target [name=type]", "ntfy");
    await page.fill("#targets .target [name=url]", choices.ntfyUrl);
    await page.click("#save");
    await page.waitForFunction(() => document.getElementById("status").textContent === "Saved.");
    const urlShown = await page.inputValue("#targets .target [name=url]");
    await page.click("#targets .target .test-target");
    await page.waitForFunction(() => document.querySelector("#targets .target .result").textContent !== "");
    const alertTested = (await page.textContent("#targets .target .result")).trim();
    await page.reload();
    await page.waitForFunction(() => !document.getElementById("recent").textContent.includes("none yet"));
    const recent = (await page.textContent("#recent")).trim();
    process.stdout.write(JSON.stringify({
      loaded, saved, keyShown, tested, refused, sonarrHook, sonarrLast, urlShown, alertTested, recent,
    }));
  } finally {
    await browser.close();
  }
})().catch((error) => { console.error(error); process.exit(1); });
