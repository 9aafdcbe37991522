// Drives the pool admin page (/pool/) in Debian's Chromium: logs in (Basic, the admin token as password),
// reads the tables, disables a key, opens a user's devices and forgets one, deletes a user (confirming),
// prints what the page showed along the way as JSON. Usage: node pool_page.js <url> <admin token> <json>
const { launch } = require("./browser");

(async () => {
  const [url, token, raw] = process.argv.slice(2);
  const choices = JSON.parse(raw);
  const browser = await launch();
  try {
    const context = await browser.newContext({ httpCredentials: { username: "admin", password: token } });
    const page = await context.newPage();
    page.on("dialog", (dialog) => dialog.accept());
    await page.goto(url);
    const rows = async (table) => page.$$eval(`#${table} tbody tr`, (trs) => trs.map((tr) => tr.innerText));
    const shown = { keys: await rows("keys"), users: await rows("users"), charts: await page.$$eval("svg", (s) => s.length) };

    await Promise.all([page.waitForNavigation(), page.click(`tr[data-key="${choices.key}"] button[data-action=disable-key]`)]);
    shown.keyAfterDisable = await page.innerText(`tr[data-key="${choices.key}"]`);

    await page.click(`details[data-user="${choices.user}"] summary`);
    await page.waitForSelector(`details[data-user="${choices.user}"] li`);
    shown.devices = await page.$$eval(`details[data-user="${choices.user}"] li`, (lis) => lis.map((li) => li.innerText));
    await Promise.all([page.waitForNavigation(), page.click(`details[data-user="${choices.user}"] li button`)]);
    shown.devicesAfterForget = await page.innerText(`tr[data-user="${choices.user}"] summary`);

    await Promise.all([page.waitForNavigation(), page.click(`tr[data-user="${choices.deleted}"] button[data-action=delete-user]`)]);
    shown.usersAfterDelete = await rows("users");

    await page.fill("input[name=search]", choices.search);
    await Promise.all([page.waitForNavigation(), page.click("form button[type=submit]")]);
    shown.searched = await rows("users");
    process.stdout.write(JSON.stringify(shown));
  } finally {
    await browser.close();
  }
})().catch((error) => { console.error(error); process.exit(1); });
