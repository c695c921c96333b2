// Rivetr dashboard: the live parts and confirmations. Every page works
// without this script; it only adds what needs JavaScript.
"use strict";

// A page brought back from the back/forward cache had its streams closed
// (see stream): load it afresh, so what it shows is live again.
window.addEventListener("pageshow", (e) => { if (e.persisted) location.reload(); });

document.addEventListener("DOMContentLoaded", () => {
  // Forms that change something serious ask first.
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (e) => {
      if (!window.confirm(form.dataset.confirm)) e.preventDefault();
    });
  }
  // With JavaScript, rollback asks in a dialog instead of a confirmation page.
  for (const a of document.querySelectorAll(".nojs")) a.hidden = true;
  for (const b of document.querySelectorAll("button.js")) b.hidden = false;
  // Date-time pickers are in the browser's time zone: say which, and send
  // its offset so the server reads the time right.
  const tz = Intl.DateTimeFormat().resolvedOptions().timeZone || "local time";
  for (const s of document.querySelectorAll("[data-tz]")) s.textContent = "(" + tz + ")";
  for (const f of document.querySelectorAll('input[name="tz_offset"]')) f.value = String(new Date().getTimezoneOffset());
  for (const t of document.querySelectorAll("time[data-local]")) {
    t.textContent = new Date(t.getAttribute("datetime")).toLocaleString() + " (" + tz + ")";
  }
  // Copy buttons copy the field they point at (the field stays selectable
  // without JavaScript).
  for (const b of document.querySelectorAll("button[data-copy]")) {
    b.addEventListener("click", async () => {
      const field = document.querySelector(b.dataset.copy);
      field.select();
      try {
        await navigator.clipboard.writeText(field.value);
        b.textContent = "Copied";
      } catch {
        b.textContent = "Press Ctrl+C";
      }
    });
  }

  markNav();
  keyboard();
  const filter = document.getElementById("app-filter");
  if (filter) filterCards(filter, document.querySelectorAll("[data-app-card]"));

  const rt = document.getElementById("runtime-log");
  if (rt) followRuntimeLog(rt);

  const dep = document.getElementById("deployment");
  if (dep) followDeployment(dep);
  else if (document.querySelector("[data-deployment], [data-app-dot], [data-database], [data-backup], .list")) followStatuses();
});

// stream opens an event stream that closes when the page goes away, so a
// page left (or kept in the back/forward cache) holds none of the
// browser's few connections to the server: with them all taken, the next
// page waited a minute.
function stream(url) {
  const es = new EventSource(url);
  const close = () => es.close();
  window.addEventListener("pagehide", close);
  window.addEventListener("beforeunload", close);
  return es;
}

const terminal = ["succeeded", "failed", "cancelled", "superseded", "rolled_back", "rejected", "expired"];
const stepOrder = ["source", "build", "stop", "start", "health", "switch", "drain"];

function setBadge(el, status) {
  el.textContent = status.replace(/_/g, " ");
  el.className = el.className.replace(/\b(queued|scheduled|awaiting_approval|frozen|building|deploying|succeeded|failed|cancelled|superseded|rolled_back|rejected|expired)\b/g, "").trim() + " " + status;
}

// stepStates mirrors web.Steps in Go.
function stepStates(d) {
  const cur = stepOrder.indexOf(d.step);
  const finished = d.step === "done" || d.status === "succeeded" || d.status === "rolled_back";
  return stepOrder.map((name, i) => {
    if (d.kind === "rollback" && i < 2) return "skipped";
    if (finished) return "done";
    if (cur < 0) return "pending";
    if (i < cur) return "done";
    if (i === cur) return d.status === "failed" ? "failed" : d.status === "cancelled" ? "cancelled" : "current";
    return "pending";
  });
}

function followDeployment(dep) {
  const log = document.getElementById("log");
  const status = document.getElementById("status");
  const reason = document.getElementById("reason");
  const live = document.getElementById("live");
  const steps = document.querySelectorAll("#steps li");
  // Follow the bottom of the log until the reader scrolls up; scrolling back
  // to the bottom follows again.
  let stick = true;
  const atBottom = () => log.scrollHeight - log.scrollTop - log.clientHeight < 24;
  log.addEventListener("scroll", () => { stick = atBottom(); });
  log.scrollTop = log.scrollHeight;

  const update = (d) => {
    setBadge(status, d.status);
    const states = stepStates(d);
    steps.forEach((li) => { const i = stepOrder.indexOf(li.dataset.step); if (i >= 0) li.className = states[i]; });
    if (d.failure_reason) {
      reason.textContent = d.failure_reason;
      reason.classList.remove("hidden");
      reason.classList.toggle("error", d.status === "failed");
    }
    if (terminal.includes(d.status)) {
      const cancel = document.getElementById("cancel-form");
      if (cancel) cancel.remove();
    }
  };
  if (dep.dataset.live !== "1") return;
  live.textContent = "(live)";
  const es = stream(`/ui/deployments/${encodeURIComponent(dep.dataset.id)}/stream?after=${dep.dataset.last || 0}`);
  const pending = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    const frag = document.createDocumentFragment();
    for (const l of pending.splice(0)) {
      const span = document.createElement("span");
      span.className = "l " + l.stream;
      if (l.time) span.dataset.t = new Date(l.time).toISOString().slice(11, 19);
      span.appendChild(ansiNodes(l.text));
      frag.appendChild(span);
      frag.appendChild(document.createTextNode("\n"));
    }
    log.appendChild(frag);
    if (stick) log.scrollTop = log.scrollHeight;
  };
  es.addEventListener("log", (e) => {
    pending.push(JSON.parse(e.data));
    if (!scheduled) { scheduled = true; requestAnimationFrame(flush); }
  });
  es.addEventListener("status", (e) => update(JSON.parse(e.data)));
  es.addEventListener("end", (e) => {
    // The last lines come just before "end": show them before the final
    // status, so a finished deployment never shows a partial log.
    if (pending.length) flush();
    update(JSON.parse(e.data));
    es.close();
    live.textContent = "(finished)";
  });
  es.onerror = () => { live.textContent = "(reconnecting…)"; };
  es.onopen = () => { live.textContent = "(live)"; };
}

// followStatuses keeps the status badges of listed deployments current.
function followStatuses() {
  const q = new URLSearchParams();
  if (document.querySelector("[data-live-databases], [data-db-status]")) q.set("databases", "1");
  const backups = document.querySelector("[data-backups-of]");
  if (backups) q.set("backups", backups.dataset.backupsOf);
  const es = stream("/ui/events" + (q.size ? "?" + q : ""));
  es.addEventListener("open", () => { document.body.dataset.stream = "open"; });
  es.addEventListener("error", () => { document.body.dataset.stream = es.readyState === EventSource.CLOSED ? "closed" : "reconnecting"; });
  es.addEventListener("deployment", (e) => {
    const d = JSON.parse(e.data);
    const rows = document.querySelectorAll(`[data-deployment="${CSS.escape(d.id)}"]`);
    for (const row of rows) {
      const badge = row.querySelector("[data-status]");
      if (badge) setBadge(badge, d.status);
    }
    // An app's card, header dot and latest badge follow its newest
    // deployment, whichever it is.
    let appShown = false;
    for (const card of document.querySelectorAll(`[data-app-card="${CSS.escape(d.app)}"]`)) {
      appShown = true;
      if (card.dataset.deployment && card.dataset.deployment > d.id) continue;
      card.dataset.deployment = d.id;
      const badge = card.querySelector("[data-status]");
      if (badge) setBadge(badge, d.status);
    }
    for (const dot of document.querySelectorAll(`[data-app-dot="${CSS.escape(d.app)}"]`)) {
      appShown = true;
      const live = dot.classList.contains("live") || d.status === "succeeded";
      setBadge(dot, d.status);
      dot.classList.toggle("live", live);
      dot.title = dot.getAttribute("aria-label").replace(/^[^,]*/, d.status.replace(/_/g, " "));
      dot.setAttribute("aria-label", dot.title);
    }
    if (rows.length === 0 && !appShown) {
      const note = document.getElementById("new-deployments");
      if (note) note.hidden = false;
    }
  });
  // Databases and their backups (the stream sends those the caller sees).
  es.addEventListener("database", (e) => {
    const db = JSON.parse(e.data);
    for (const el of document.querySelectorAll(`[data-database="${CSS.escape(db.name)}"] [data-status], [data-db-status="${CSS.escape(db.name)}"]`)) {
      setState(el, db.status, db.status === "running" ? "succeeded" : db.status === "failed" ? "failed" : "cancelled");
    }
    for (const el of document.querySelectorAll(`[data-database="${CSS.escape(db.name)}"] [data-error], [data-db-error="${CSS.escape(db.name)}"]`)) {
      el.textContent = db.error || "";
      el.hidden = !db.error;
    }
  });
  es.addEventListener("backup", (e) => {
    const b = JSON.parse(e.data);
    const row = document.querySelector(`[data-backup="${CSS.escape(b.id)}"]`);
    if (!row) {
      const list = document.querySelector(`[data-backups-of="${CSS.escape(b.database)}"]`);
      if (list) { const note = document.getElementById("new-deployments"); if (note) { note.firstChild.textContent = "There are new backups. "; note.hidden = false; } }
      return;
    }
    const badge = row.querySelector("[data-status]");
    if (badge) setState(badge, b.status, b.status === "succeeded" ? "succeeded" : b.status === "failed" ? "failed" : "cancelled");
    const size = row.querySelector("[data-size]");
    if (size && b.size_text) size.textContent = b.size_text;
    const why = row.querySelector("[data-error]");
    if (why) { why.textContent = b.error || ""; why.hidden = !b.error; }
  });
}

// setState shows a state's words on a badge coloured as colour.
function setState(el, state, colour) {
  el.textContent = state.replace(/_/g, " ");
  el.className = el.className.replace(/\b(succeeded|failed|cancelled)\b/g, "").trim() + " " + colour;
}

// markNav marks the main navigation's link to this section.
function markNav() {
  const path = location.pathname;
  let best = null;
  for (const a of document.querySelectorAll("[data-nav]")) {
    const p = a.dataset.nav;
    if ((p === "/" ? path === "/" : path === p || path.startsWith(p + "/")) && (!best || p.length > best.dataset.nav.length)) best = a;
  }
  if (best) best.setAttribute("aria-current", "page");
}

// filterCards hides the cards whose text does not contain the box's.
function filterCards(box, cards) {
  box.hidden = false;
  box.addEventListener("input", () => {
    const f = box.value.toLowerCase();
    for (const c of cards) c.hidden = f !== "" && !c.textContent.toLowerCase().includes(f);
  });
}

// keyboard: "g" then a letter goes to a section; "/" searches; j and k
// walk a list's rows (Enter opens the row's first link); 1–9 and the
// arrow keys switch the app page's tabs; Shift+D goes to Deploy; "?"
// lists them all. Keys typed into fields are left alone.
function keyboard() {
  const dialog = document.getElementById("keys");
  const opener = document.getElementById("keys-open");
  if (opener && dialog) opener.addEventListener("click", () => dialog.showModal());
  const go = { o: "/", a: "/apps", d: "/databases", t: "/teams", f: "/freezes", g: "/graph", s: "/templates", l: "/audit" };
  let prefix = false, row = -1;
  const rows = () => [...document.querySelectorAll("[data-app-card]:not([hidden]), main table.list tbody tr")].filter((r) => r.querySelector("a[href]"));
  const tabs = () => [...document.querySelectorAll("#app-tabs a")];
  document.addEventListener("keydown", (e) => {
    const t = e.target;
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (t instanceof HTMLElement && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) {
      if (e.key === "Escape") t.blur();
      return;
    }
    if (dialog && dialog.open) return;
    if (prefix) {
      prefix = false;
      if (go[e.key]) { e.preventDefault(); location.href = go[e.key]; }
      return;
    }
    const tabList = tabs();
    if ((e.key === "ArrowRight" || e.key === "ArrowLeft") && tabList.includes(t)) {
      e.preventDefault();
      const i = tabList.indexOf(t) + (e.key === "ArrowRight" ? 1 : -1);
      tabList[(i + tabList.length) % tabList.length].focus();
      return;
    }
    switch (e.key) {
      case "g": prefix = true; setTimeout(() => { prefix = false; }, 1500); return;
      case "?": if (dialog) { e.preventDefault(); dialog.showModal(); } return;
      case "/": {
        const box = document.querySelector("#log-filter:not([hidden]), #app-filter:not([hidden]), main input[type=search]");
        if (box && box.offsetParent !== null) { e.preventDefault(); box.focus(); }
        return;
      }
      case "D": { const b = document.getElementById("deploy"); if (b) { e.preventDefault(); b.focus(); } return; }
      case "j": case "k": {
        const list = rows();
        if (!list.length) return;
        e.preventDefault();
        if (list[row]) list[row].classList.remove("kbd-row");
        row = Math.max(0, Math.min(list.length - 1, row + (e.key === "j" ? 1 : -1)));
        list[row].classList.add("kbd-row");
        list[row].querySelector("a[href]").focus();
        return;
      }
    }
    if (/^[1-9]$/.test(e.key) && tabList.length) {
      const tab = tabList[Number(e.key) - 1];
      if (tab) { e.preventDefault(); location.href = tab.href; }
    }
  });
}

// followRuntimeLog streams the serving container's output into pre: the
// newest 5,000 lines kept, shown filtered by the search box as you type;
// Pause holds new lines back (counted) until Resume. The view follows the
// bottom unless the reader scrolled up.
function followRuntimeLog(pre) {
  const max = 5000;
  const lines = [];
  let paused = false, held = 0, filter = "";
  const box = document.getElementById("log-filter");
  const pause = document.getElementById("log-pause");
  const state = document.getElementById("log-state");
  for (const el of [box, pause]) if (el && el.parentElement) el.parentElement.hidden = false;
  const atBottom = () => pre.scrollHeight - pre.scrollTop - pre.clientHeight < 30;
  const render = () => {
    const stick = atBottom();
    const f = filter.toLowerCase();
    const shown = f ? lines.filter((l) => l.toLowerCase().includes(f)) : lines;
    pre.textContent = shown.join("\n") + (shown.length ? "\n" : "");
    state.textContent = (f ? shown.length + " of " + lines.length + " lines match" : "") + (paused ? (f ? "; " : "") + "paused, " + held + " new" : "");
    if (stick) pre.scrollTop = pre.scrollHeight;
  };
  box.addEventListener("input", () => { filter = box.value; render(); });
  pause.addEventListener("click", () => {
    paused = !paused;
    pause.textContent = paused ? "Resume" : "Pause";
    pause.setAttribute("aria-pressed", String(paused));
    if (!paused) held = 0;
    render();
  });
  const pending = [];
  const es = stream("/ui/apps/" + encodeURIComponent(pre.dataset.app) + "/logs/stream");
  // Each (re)connection starts with the last 200 lines again.
  es.addEventListener("open", () => { lines.length = 0; pending.length = 0; });
  es.addEventListener("line", (e) => {
    pending.push(JSON.parse(e.data));
    if (paused) { held++; state.textContent = "paused, " + held + " new"; return; }
    flush();
  });
  es.addEventListener("problem", (e) => { state.textContent = JSON.parse(e.data); es.close(); });
  const flush = () => {
    lines.push(...pending.splice(0));
    if (lines.length > max) lines.splice(0, lines.length - max);
    render();
  };
  pause.addEventListener("click", () => { if (!paused) flush(); });
}

// ansiNodes is text with its ANSI colour codes (SGR) as spans of classes
// ansi-bold, ansi-fg-red, …; other escape sequences are dropped. The text
// goes in as text nodes only. (web/ansi.go does the same on the server.)
function ansiNodes(text) {
  const colours = ["black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"];
  const frag = document.createDocumentFragment();
  let classes = [];
  const add = (t) => {
    t = t.replace(/\x1b/g, "");
    if (!t) return;
    if (classes.length) {
      const s = document.createElement("span");
      s.className = classes.join(" ");
      s.textContent = t;
      frag.appendChild(s);
    } else frag.appendChild(document.createTextNode(t));
  };
  const re = /\x1b\[([0-9;?]*)([@-~])/g;
  let last = 0, m;
  while ((m = re.exec(text)) !== null) {
    add(text.slice(last, m.index));
    last = re.lastIndex;
    if (m[2] !== "m") continue;
    if (m[1] === "") { classes = []; continue; }
    for (const p of m[1].split(";")) {
      const n = Number(p);
      const drop = (pre) => { classes = classes.filter((c) => !c.startsWith(pre)); };
      if (n === 0) classes = [];
      else if (n === 1) { drop("ansi-bold"); classes.push("ansi-bold"); }
      else if (n === 22) drop("ansi-bold");
      else if (n >= 30 && n <= 37) { drop("ansi-fg"); classes.push("ansi-fg-" + colours[n - 30]); }
      else if (n >= 90 && n <= 97) { drop("ansi-fg"); classes.push("ansi-fg-bright-" + colours[n - 90]); }
      else if (n === 39) drop("ansi-fg");
    }
  }
  add(text.slice(last));
  return frag;
}
