// Keywarden web UI: the pages are complete without this script. It adds the little things:
// filters that apply on change, confirmation dialogs, live scan progress, the settings page's
// actions (same-origin calls to the REST API; `X-Atlassian-Token: no-check` satisfies the XSRF
// rule, which a cross-site page cannot send without a CORS preflight the server never allows),
// live regex validation and the live cron preview.
"use strict";
(function () {
  const API = "/rest/security/latest";
  const body = document.body;
  const $ = (sel) => document.querySelector(sel);
  const enc = encodeURIComponent;
  document.documentElement.classList.add("js");
  // An action's notice (`?done=`) shows once: reloads and bookmarks do not bring it back.
  const url = new URL(location.href);
  if (url.searchParams.has("done")) {
    url.searchParams.delete("done");
    history.replaceState(null, "", url.pathname + url.search + url.hash);
  }

  async function api(method, path, data, isForm) {
    const headers = { "X-Atlassian-Token": "no-check", Accept: "application/json" };
    let payload;
    if (isForm) payload = data;
    else if (data !== undefined) {
      headers["Content-Type"] = "application/json";
      payload = JSON.stringify(data);
    }
    const r = await fetch(path, { method, headers, body: payload, credentials: "same-origin" });
    const text = await r.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
    if (!r.ok) {
      const msg = json && json.errors && json.errors[0] ? json.errors[0].message : text || r.statusText;
      throw new Error(msg);
    }
    return json;
  }

  function show(el, msg, bad) {
    if (!el) return;
    el.textContent = msg;
    el.className = bad ? "error" : "hint";
  }

  // Filters apply as soon as they change.
  document.querySelectorAll("[data-autosubmit]").forEach((el) =>
    el.addEventListener("change", () => el.form.submit()));

  // Forms that need a confirmation.
  document.querySelectorAll("form[data-confirm]").forEach((f) =>
    f.addEventListener("submit", (ev) => { if (!confirm(f.dataset.confirm)) ev.preventDefault(); }));

  // Live scan progress: poll the branch's result, reload the page when the scan is done.
  const progress = $("#progress[data-poll]");
  if (progress) {
    const poll = async () => {
      try {
        const res = await api("GET", progress.dataset.poll);
        if (!res.scheduled) { location.reload(); return; }
        $("#progress-text").textContent = (res.running ? "Scanning… " : "Queued… ") + res.progress + "%";
        progress.querySelector(".progress span").style.width = res.progress + "%";
      } catch (e) { show($("#progress-text"), e.message, true); return; }
      setTimeout(poll, 700);
    };
    setTimeout(poll, 500);
  }
  // The branch list refreshes itself while scans run.
  const refresh = $("[data-refresh]");
  if (refresh) setTimeout(() => location.reload(), Number(refresh.dataset.refresh));

  // ---- settings ----
  function settings() {
    const msg = $("#msg");
    // After an action the page is drawn again by the server; the message survives the reload.
    const reload = (text) => { sessionStorage.setItem("kw-msg", text); location.reload(); };
    const left = sessionStorage.getItem("kw-msg");
    if (left) { show(msg, left); sessionStorage.removeItem("kw-msg"); }
    const fail = (e) => show(msg, e.message, true);

    // The schedule's preview comes from the server (the scheduler's own parser).
    let pending = null;
    $("#scanSchedule").addEventListener("input", () => {
      clearTimeout(pending);
      pending = setTimeout(async () => {
        try {
          const p = await api("GET", "/settings/cron-preview?expr=" + enc($("#scanSchedule").value));
          show($("#cron-preview"), p.text, p.invalid);
        } catch (e) { show($("#cron-preview"), e.message, true); }
      }, 250);
    });
    $("#general").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      try {
        await api("PUT", API + "/settings", {
          hookMode: $("#hookMode").value,
          perRepositoryRules: $("#perRepositoryRules").checked,
          parallelScans: Number($("#parallelScans").value),
          scanSchedule: $("#scanSchedule").value.trim(),
          appAccess: $("#appAccess").value.split(",").map((s) => s.trim()).filter(Boolean),
        });
        reload("Settings saved.");
      } catch (e) { fail(e); }
    });
    $("#save-loglevel").addEventListener("click", async () => {
      try {
        await api("PUT", API + "/loglevel?logLevelOverride=" + enc($("#loglevel").value));
        reload("Log level set to " + $("#loglevel").value + ".");
      } catch (e) { fail(e); }
    });
    document.querySelectorAll("#builtin input[data-rule]").forEach((box) =>
      box.addEventListener("change", async () => {
        const name = box.dataset.rule;
        try {
          await api(box.checked ? "POST" : "DELETE", API + "/hardcoded/" + enc(name));
          show(msg, name + (box.checked ? " enabled." : " disabled."));
        } catch (e) { box.checked = !box.checked; fail(e); }
      }));
    document.querySelectorAll("[data-delete-rule]").forEach((b) =>
      b.addEventListener("click", async () => {
        if (!confirm("Delete the rule " + b.dataset.name + "?")) return;
        try { await api("DELETE", API + "/rules/" + enc(b.dataset.deleteRule)); reload("Rule deleted."); } catch (e) { fail(e); }
      }));
    $("#rule-regexp").addEventListener("input", () => {
      const v = $("#rule-regexp").value;
      try {
        new RegExp(v.replace(/^\(\?[imsx]+\)/, ""));
        show($("#regexp-check"), v ? "Looks valid (the server checks it with its own regex syntax)." : "");
      } catch (e) { show($("#regexp-check"), "Invalid: " + e.message, true); }
    });
    $("#new-rule").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      try {
        await api("POST", API + "/rules", { name: $("#rule-name").value.trim(), regexp: $("#rule-regexp").value,
          enabled: true, blocking: !$("#rule-warn").checked });
        reload("Rule created.");
      } catch (e) { show($("#regexp-check"), e.message, true); }
    });
    $("#global-upload").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const fd = new FormData();
      fd.append("file", $("#global-file").files[0]);
      try {
        const res = await api("POST", API + "/global-reviewed/create", fd, true);
        show(msg, "Uploaded: " + (res.added || 0) + " added, " + (res.skipped || 0) + " skipped" +
          (res.invalid && res.invalid.length ? ", " + res.invalid.length + " invalid rows" : "") + ".");
      } catch (e) { fail(e); }
    });
  }

  if (body.dataset.page === "settings") settings();
})();
