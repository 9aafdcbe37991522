// Drives the add-on's configure page in Debian's Chromium: fills the form as a user would, presses
// Install, prints what the page shows as JSON. Usage: node configure_page.js <url> <json of choices>
const { launch } = require("./browser");

(async () => {
  const [url, raw] = process.argv.slice(2);
  const choices = JSON.parse(raw);
  const browser = await launch();
  try {
    const page = await browser.newPage();
    await page.goto(url);
    const account = {};
    if (choices.mode === "pool" && choices.email) {  // signing in instead of pasting the uuid
      page.on("dialog", (dialog) => dialog.accept());
      await page.check("input[name=mode][value=pool]");
      await page.fill("#account-email", choices.email);
      await page.fill("#account-password", choices.password);
      await page.click("#sign-in");
      await page.waitForFunction(() => !document.getElementById("account").hidden || document.getElementById("account-error").textContent);
      account.error = (await page.textContent("#account-error")).trim();
      account.uuid = await page.inputValue("#auth");
      account.devices = await page.$$eval("#devices li", (lis) => lis.map((li) => li.innerText));
      if (choices.forget && !account.error) {
        await page.click("#devices li button");
        await page.waitForFunction((n) => document.querySelectorAll("#devices li button").length < n, account.devices.length);
        account.devicesAfterForget = await page.$$eval("#devices li", (lis) => lis.map((li) => li.innerText));
      }
      if (choices.rotate && !account.error) {
        await page.click("#rotate");
        await page.waitForFunction((old) => document.getElementById("auth").value !== old, account.uuid);
        await page.waitForFunction(() => document.getElementById("install-url").textContent !== "");
        account.rotatedUuid = await page.inputValue("#auth");
      }
    } else if (choices.mode === "pool") {
      await page.check("input[name=mode][value=pool]");
      await page.fill("#auth", choices.auth);
    } else {
      await page.fill("#token", choices.token);
    }
    for (const resolution of choices.resolutions || []) await page.check(`input[name=res][value="${resolution}"]`);
    if (choices.maxSizeGb) await page.fill("#max-size", String(choices.maxSizeGb));
    if (choices.languages) await page.fill("#languages", choices.languages);
    for (const kind of choices.exclude || []) await page.check(`input[name=exclude][value="${kind}"]`);
    if (choices.keywords) await page.fill("#keywords", choices.keywords);
    if (choices.preferLanguages) await page.fill("#prefer-languages", choices.preferLanguages);
    if (choices.sort) await page.selectOption("#sort", choices.sort);
    if (!account.rotatedUuid) await page.click("#build");
    const result = {
      account,
      error: (await page.textContent("#error")).trim(),
      installUrl: (await page.textContent("#install-url")).trim(),
      stremioLink: await page.getAttribute("#stremio-link", "href"),
      tokenFieldVisible: await page.isVisible("#token"),
    };
    process.stdout.write(JSON.stringify(result));
  } finally {
    await browser.close();
  }
})().catch((error) => { console.error(error); process.exit(1); });
