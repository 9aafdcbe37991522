"""The /pool/ admin page: the keys with their health, slots and live streams; the users with their
subscription, devices and last use (searched, a page at a time); streams per key per day as a server-drawn
SVG chart. Every action is a button calling the admin API with the browser's login, then the page reloads.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from html import escape
from urllib.parse import urlencode

from libs.schemas.pool_admin import KeyView, UserPage
from libs.web.charts import Series, line_chart

from .repository.usage import KeyDay

_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#111;background:#fafafa}
h1{font-size:20px}h2{font-size:16px;margin-top:28px}
table{border-collapse:collapse;background:#fff}th,td{padding:6px 10px;border-bottom:1px solid #e5e7eb;text-align:left}
.healthy,.active{color:#16a34a}.degraded{color:#d97706}.failing,.suspended,.cancelled{color:#dc2626}.disabled{color:#6b7280}
button{margin:0 4px 0 0}#status{margin:12px 0;min-height:1.4em}#status.error{color:#dc2626}
.chart{background:#fff;border:1px solid #e5e7eb;margin:8px 8px 0 0;max-width:100%}
.chart-title{font-weight:600;font-size:13px}.tick,.legend{font-size:11px;fill:#4b5563}.legend{font-weight:600}
.axis{stroke:#9ca3af}.empty{fill:#9ca3af}
"""

_SCRIPT = """
const status = document.getElementById("status");
async function call(method, path, body) {
  const response = await fetch(path, {method, credentials: "same-origin",
    headers: body ? {"Content-Type": "application/json"} : {}, body: body ? JSON.stringify(body) : undefined});
  if (!response.ok) {
    const answer = await response.json().catch(() => ({}));
    throw new Error(answer.message || `answered ${response.status}`);
  }
  return response.status === 204 ? null : response.json();
}
const ACTIONS = {
  "disable-key": (id) => call("PATCH", `/pool/keys/${id}`, {status: "disabled"}),
  "enable-key": (id) => call("PATCH", `/pool/keys/${id}`, {status: "healthy"}),
  "delete-key": (id) => call("DELETE", `/pool/keys/${id}`),
  "suspend-user": (id) => call("PATCH", `/pool/users/${id}`, {subStatus: "suspended"}),
  "activate-user": (id) => call("PATCH", `/pool/users/${id}`, {subStatus: "active"}),
  "reset-devices": (id) => call("DELETE", `/pool/users/${id}/devices`),
  "reset-device": (id, device) => call("DELETE", `/pool/users/${id}/devices/${encodeURIComponent(device)}`),
  "delete-user": (id) => call("DELETE", `/pool/users/${id}`),
};
document.addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-action]");
  if (!button) return;
  const {action, id, device, confirm: question} = button.dataset;
  if (question && !window.confirm(question)) return;
  try {
    await ACTIONS[action](id, device);
    location.reload();
  } catch (error) {
    status.textContent = error.message;
    status.className = "error";
  }
});
for (const details of document.querySelectorAll("details[data-user]")) {
  details.addEventListener("toggle", async () => {
    if (!details.open || details.dataset.loaded) return;
    const user = await call("GET", `/pool/users/${details.dataset.user}`);
    const list = details.querySelector("ul");
    list.replaceChildren(...user.devices.map((d) => {
      const item = document.createElement("li");
      item.textContent = `${d.deviceId.slice(0, 12)}… last used ${new Date(d.lastUsedAt).toLocaleString()} `;
      const reset = document.createElement("button");
      Object.assign(reset.dataset, {action: "reset-device", id: details.dataset.user, device: d.deviceId});
      reset.textContent = "Forget";
      item.appendChild(reset);
      return item;
    }));
    if (!user.devices.length) list.innerHTML = "<li>no device</li>";
    details.dataset.loaded = "1";
  });
}
"""


def _when(moment: datetime | None) -> str:
    return "never" if moment is None else f"{moment:%Y-%m-%d %H:%M}"


def _button(action: str, target: str, label: str, question: str | None = None) -> str:
    confirm = f' data-confirm="{escape(question)}"' if question else ""
    return f'<button type="button" data-action="{action}" data-id="{escape(target)}"{confirm}>{label}</button>'


def _key_row(key: KeyView) -> str:
    name = escape(key.label or key.id[:8])
    switch = (
        _button("enable-key", key.id, "Enable")
        if key.status == "disabled"
        else _button("disable-key", key.id, "Disable")
    )
    delete = _button("delete-key", key.id, "Delete", f"Delete {key.label or 'this key'}? Its users move to other keys.")
    return (
        f'<tr data-key="{key.id}"><td>{name}</td><td class="{key.status}">{key.status}'
        f"{f' — {escape(key.status_reason)}' if key.status_reason else ''}</td>"
        f"<td>{key.current_user_slots} / {key.max_user_slots}</td>"
        f"<td>{key.current_concurrent_streams} / {key.max_concurrent_streams}</td>"
        f"<td>{_when(key.last_success_at)}</td><td>{switch}{delete}</td></tr>"
    )


def _user_row(user) -> str:
    status = user.sub_status or "none"
    switch = (
        _button("activate-user", user.uuid, "Activate")
        if status == "suspended"
        else _button("suspend-user", user.uuid, "Suspend")
    )
    delete = _button("delete-user", user.uuid, "Delete", f"Delete {user.email}? Their streams end now.")
    return (
        f'<tr data-user="{user.uuid}"><td>{escape(user.email)}</td>'
        f'<td class="{status}">{escape(user.sub_type or "–")} · {status}</td>'
        f'<td><details data-user="{user.uuid}"><summary>{user.devices}</summary><ul></ul></details></td>'
        f"<td>{_when(user.accessed_at)}</td><td>{escape(user.pool_key_id[:8]) if user.pool_key_id else '–'}</td>"
        f"<td>{switch}{_button('reset-devices', user.uuid, 'Forget devices')}{delete}</td></tr>"
    )


def _pages(users: UserPage, search: str) -> str:
    last = max(1, -(-users.total // users.page_size))
    links = []
    for page, label in ((users.page - 1, "‹ newer"), (users.page + 1, "older ›")):
        if 1 <= page <= last:
            query = urlencode({"search": search, "page": page, "pageSize": users.page_size})
            links.append(f'<a href="?{query}">{label}</a>')
    return f"<p>page {users.page} of {last} · {users.total} users {' '.join(links)}</p>"


def render(keys: list[KeyView], users: UserPage, usage: list[KeyDay], search: str, now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    start = now - timedelta(days=30)
    names = {key.id: key.label or key.id[:8] for key in keys}
    by_key: dict[str, list[tuple[datetime, float | None]]] = defaultdict(list)
    for row in usage:
        by_key[names.get(str(row.pool_key_id), str(row.pool_key_id)[:8])].append((row.day, float(row.streams)))
    chart = line_chart(
        "streams per day, per key",
        [Series(name, points) for name, points in by_key.items()],
        unit="",
        start=start,
        end=now,
        empty="no streams in 30 days",
        time_format="%d %b",
    )
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>Chillproxy · pool</title><style>{_STYLE}</style></head><body>"
        "<h1>TorBox key pool</h1><div id=status role=alert></div>"
        "<h2>Keys</h2><table id=keys><thead><tr><th>Key</th><th>Health</th><th>Users</th><th>Live streams</th>"
        f"<th>Last success</th><th></th></tr></thead><tbody>{''.join(map(_key_row, keys))}</tbody></table>"
        f"{chart}"
        '<h2>Users</h2><form method=get><input type=search name=search placeholder="email" '
        f'value="{escape(search)}"> <button type=submit>Search</button></form>'
        "<table id=users><thead><tr><th>Email</th><th>Subscription</th><th>Devices</th><th>Last use</th><th>Key</th>"
        f"<th></th></tr></thead><tbody>{''.join(map(_user_row, users.users))}</tbody></table>"
        f"{_pages(users, search)}"
        f"<script>{_SCRIPT}</script></body></html>"
    )
