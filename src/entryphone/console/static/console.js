// entryphone console: small progressive enhancements over server-rendered pages (plain ES module,
// no build step). Every page works without it; with it, pages update live.
document.documentElement.classList.add("js");

const body = document.body;
const prefix = body.dataset.prefix || "/console";
const csrf = body.dataset.csrf || "";

// Fleet and intercom pages: the admin channel's pushes (online state, key sync, alerts).
function liveFleet() {
  const states = document.querySelectorAll("[data-intercom]");
  if (!states.length || !csrf) return;
  const status = document.querySelector("[data-live-status]");
  const table = document.querySelector("[data-fleet]") || document.querySelector("[data-intercom-page]");
  const texts = (document.querySelector("[data-fleet]") || {}).dataset || {};
  let delay = 1000;
  const connect = () => {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(`${scheme}//${location.host}${prefix}/ws`);
    socket.addEventListener("open", () => {
      delay = 1000;
      if (status && texts.textLive) status.textContent = texts.textLive;
      body.dataset.live = "open";
    });
    socket.addEventListener("message", (message) => {
      let push;
      try { push = JSON.parse(message.data); } catch { return; }
      const data = push.data || {};
      if (push.event === "intercom_online_changed" && data.intercom) {
        setOnline(data.intercom.id, data.intercom.is_online);
      } else if (push.event === "intercom_alert") {
        const cell = document.querySelector(`tr[data-intercom="${data.intercom_id}"] [data-alerts]`);
        if (cell) { cell.textContent = String(Number(cell.textContent || 0) + 1); cell.classList.add("alerting"); }
      } else if (push.event === "intercom_sync_keys") {
        const cell = document.querySelector(`tr[data-intercom="${data.intercom_id}"] [data-sync]`);
        const text = data.status === "ok" ? texts.textSyncOk : texts.textSyncError;
        if (cell && text) cell.textContent = text;
      }
    });
    socket.addEventListener("close", () => {
      body.dataset.live = "closed";
      if (status && texts.textLost) status.textContent = texts.textLost;
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    });
  };
  if (table) connect();
}

function setOnline(id, online) {
  const fleet = document.querySelector("[data-fleet]");
  const page = document.querySelector("[data-intercom-page]");
  const labels = fleet ? fleet.dataset : (page ? page.dataset : {});
  for (const badge of document.querySelectorAll(`tr[data-intercom="${id}"] [data-state], [data-state][data-intercom="${id}"]`)) {
    badge.classList.toggle("on", online);
    badge.classList.toggle("off", !online);
    badge.textContent = online ? labels.textOnline : labels.textOffline;
    badge.dataset.online = online ? "true" : "false";
  }
}

// Intercom page: the camera frame refreshes while the page is visible.
function camera() {
  const image = document.querySelector("[data-camera]");
  if (!image) return;
  const base = image.getAttribute("src");
  const period = Number(image.dataset.period || 2) * 1000;
  const error = document.querySelector("[data-camera-error]");
  const toggle = document.querySelector("[data-camera-toggle]");
  let playing = true;
  image.addEventListener("error", () => { if (error) { error.hidden = false; error.textContent = image.dataset.textUnavailable; } });
  image.addEventListener("load", () => { if (error) error.hidden = true; });
  setInterval(() => {
    if (playing && !document.hidden) image.src = `${base}?t=${Date.now()}`;
  }, period);
  if (toggle) toggle.addEventListener("click", () => {
    playing = !playing;
    toggle.textContent = playing ? toggle.dataset.textPause : toggle.dataset.textPlay;
    toggle.setAttribute("aria-pressed", playing ? "false" : "true");
  });
}

// Intercom page: the event journal shows new events as they arrive.
function journal() {
  const rows = document.querySelector("[data-journal]");
  if (!rows) return;
  const refresh = async () => {
    if (document.hidden) return;
    try {
      const reply = await fetch(rows.dataset.journal, { credentials: "same-origin", headers: { Accept: "text/html" } });
      if (reply.ok) {
        const html = await reply.text();
        if (html !== rows.dataset.last) { rows.innerHTML = html; rows.dataset.last = html; }
      }
    } catch { /* the next round tries again */ }
  };
  setInterval(refresh, 1500);
}

// Intercom page: the matrix grid (fill from the calculator, add and remove switches).
function matrix() {
  const form = document.querySelector("[data-matrix]");
  if (!form) return;
  const holder = form.querySelector("[data-elements]");
  const template = form.querySelector("[data-element-template]");
  const switchSelect = form.querySelector("select[name=switch]");
  const geometry = JSON.parse(holder.dataset.geometry || "{}");
  const units = () => geometry[switchSelect.value] || 10;

  const renumber = () => {
    holder.querySelectorAll("[data-element]").forEach((element, index) => {
      element.dataset.element = String(index);
      element.querySelectorAll("[name^='matrix.']").forEach((input) => {
        input.name = input.name.replace(/^matrix\.[^.]+\./, `matrix.${index}.`);
      });
    });
  };

  const drawGrid = (element, items) => {
    const table = element.querySelector("[data-grid]");
    const index = element.dataset.element;
    const id = element.querySelector("[data-role=id]").value;
    const width = items.length ? items[0].length : units();
    const head = table.tHead.rows[0];
    while (head.cells.length > 1) head.deleteCell(1);
    for (let col = 0; col < width; col++) { const th = document.createElement("th"); th.scope = "col"; th.textContent = String(col); head.appendChild(th); }
    const tbody = table.tBodies[0];
    tbody.replaceChildren();
    items.forEach((row, r) => {
      const tr = tbody.insertRow();
      const th = document.createElement("th"); th.scope = "row"; th.textContent = String(r); tr.appendChild(th);
      row.forEach((value, c) => {
        const input = document.createElement("input");
        input.name = `matrix.${index}.items.${r}.${c}`;
        input.value = String(value);
        input.inputMode = "numeric";
        input.size = 4;
        input.setAttribute("aria-label", form.dataset.textCell.replace("{id}", id).replace("{row}", r).replace("{col}", c));
        tr.insertCell().appendChild(input);
      });
    });
  };

  const build = async (element) => {
    const value = (role) => element.querySelector(`[data-role=${role}]`);
    const payload = {
      switch: switchSelect.value,
      capacity: Number(value("capacity").value),
      flat_from: Number(value("flat_from").value),
      is_last_item_first: value("last_first").checked,
    };
    const reply = await fetch(form.dataset.build, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(payload),
    });
    const answer = await reply.json().catch(() => ({}));
    let note = element.querySelector("[data-build-error]");
    if (!note) { note = document.createElement("p"); note.className = "field-errors"; note.dataset.buildError = ""; note.setAttribute("role", "alert"); element.appendChild(note); }
    if (reply.ok) { note.textContent = ""; drawGrid(element, answer.items); }
    else note.textContent = form.dataset.textFailed.replace("{message}", answer.message || reply.status);
  };

  form.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-action]");
    if (!button) return;
    const element = button.closest("[data-element]");
    if (button.dataset.action === "build" && element) build(element);
    if (button.dataset.action === "remove" && element) { element.remove(); renumber(); }
    if (button.dataset.action === "add") {
      const count = holder.querySelectorAll("[data-element]").length;
      const html = template.innerHTML.replaceAll("__i__", String(count)).replaceAll("__id__", String(count + 1));
      holder.querySelector("[data-empty]")?.remove();
      holder.insertAdjacentHTML("beforeend", html);
      const added = holder.lastElementChild;
      added.querySelector("[data-role=capacity]").value = String(units() * 10);
      drawGrid(added, []);
      added.querySelector("input").focus();
    }
  });
}

liveFleet();
camera();
journal();
matrix();
