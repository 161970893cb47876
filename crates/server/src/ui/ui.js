// Keywarden web UI: small vanilla script. All data and actions go through the REST API with
// the session cookie; `X-Atlassian-Token: no-check` satisfies the XSRF rule (a cross-site page
// cannot send that header without a CORS preflight, which the server never allows).
"use strict";
(function () {
  const API = "/rest/security/latest";
  const HOOK = "com.mohami.bitbucket.security-for-bitbucket:credentials-validation-hook";
  const body = document.body;
  const $ = (sel) => document.querySelector(sel);
  const enc = encodeURIComponent;

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
      else if (k === "style") el.style.cssText = v;
      else if (k === "text") el.textContent = v;
      else el.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
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

  const plural = (n, word) => n + " " + word + (n === 1 ? "" : "s");
  const label = (s) => (s || "").replace(/_/g, " ").toLowerCase().replace(/^./, (c) => c.toUpperCase());
  const badge = (s) => h("span", { class: "badge s-" + s, text: label(s) });

  function statusBar(counts, parts) {
    const total = counts.total || 0;
    const bar = h("div", { class: "bar", role: "img" });
    const words = [];
    for (const [key, status] of parts) {
      const n = counts[key] || 0;
      if (n > 0 && total > 0) {
        bar.append(h("span", { class: "s-" + status, style: "width:" + (100 * n / total) + "%" }));
        words.push(n + " " + label(status).toLowerCase());
      }
    }
    const text = total === 0 ? "no repositories" : words.join(", ");
    bar.setAttribute("aria-label", text);
    return [bar, h("div", { class: "legend", text })];
  }

  // ---- dashboard ----
  function dashboard() {
    let start = 0;
    const limit = 25;
    // One page of projects: the API's paging for all types; for one type (the API has no type
    // filter) every project is read and the filtered list is paged here.
    async function fetchPage(type) {
      if (type === "ALL") return api("GET", API + "/status/projects?start=" + start + "&limit=" + limit);
      const all = [];
      for (let at = 0; ;) {
        const page = await api("GET", API + "/status/projects?start=" + at + "&limit=1000");
        all.push(...page.values.filter((p) => p.projectType === type));
        if (page.isLastPage) break;
        at = page.nextPageStart;
      }
      const values = all.slice(start, start + limit);
      const last = start + limit >= all.length;
      return { values, isLastPage: last, nextPageStart: last ? undefined : start + limit };
    }
    async function load() {
      const list = $("#list");
      try {
        const page = await fetchPage($("#type").value);
        const values = page.values;
        list.replaceChildren(...values.map((p) => h("div", { class: "list-item" },
          h("h2", {}, h("a", { href: "/projects/" + enc(p.projectKey), text: p.projectName }), " ",
            badge(p.status)),
          statusBar(p.repositories, [["secure", "SECURE"], ["vulnerable", "VULNERABLE"],
            ["outdated", "OUTDATED"], ["partiallyScanned", "PARTIALLY_SCANNED"],
            ["notScanned", "NOT_SCANNED"]]),
          h("div", { class: "legend", text: p.projectKey + " · " + (p.projectType === "PERSONAL" ? "personal" : "regular") +
            " · " + p.vulnerabilities + " vulnerabilities" }))));
        if (!values.length) list.textContent = "No projects.";
        $("#prev").disabled = start === 0;
        $("#next").disabled = page.isLastPage;
        $("#next").dataset.next = page.nextPageStart || 0;
      } catch (e) { show(list, e.message, true); }
    }
    $("#type").addEventListener("change", () => { start = 0; load(); });
    $("#prev").addEventListener("click", () => { start = Math.max(0, start - limit); load(); });
    $("#next").addEventListener("click", () => { start = Number($("#next").dataset.next); load(); });
    load();
  }

  // ---- project ----
  function project() {
    const p = body.dataset.project;
    async function load() {
      const list = $("#list");
      try {
        const page = await api("GET", API + "/status/projects/" + enc(p) + "/repos?limit=1000");
        const rows = page.values.map((r) => h("tr", {},
          h("td", {}, h("a", { href: "/projects/" + enc(p) + "/repos/" + enc(r.repositorySlug), text: r.repositoryName })),
          h("td", {}, badge(r.status)),
          h("td", { text: String(r.vulnerabilities) }),
          h("td", { text: r.branches.secure + " of " + r.branches.total + " branches secure" })));
        list.replaceChildren(rows.length ? h("table", {},
          h("thead", {}, h("tr", {}, h("th", { text: "Repository" }), h("th", { text: "Status" }),
            h("th", { text: "Vulnerabilities" }), h("th", { text: "Branches" }))),
          h("tbody", {}, rows)) : "No repositories.");
      } catch (e) { show(list, e.message, true); }
    }
    $("#scan-all").addEventListener("click", async () => {
      try {
        const r = await api("PUT", API + "/status/projects/" + enc(p));
        show($("#msg"), r.scheduled + " branch scans queued.");
        load();
      } catch (e) { show($("#msg"), e.message, true); }
    });
    load();
  }

  // ---- repository ----
  function repository() {
    const p = body.dataset.project, r = body.dataset.repo;
    const hookUrl = "/rest/api/latest/projects/" + enc(p) + "/repos/" + enc(r) + "/settings/hooks/" + enc(HOOK);
    async function loadHook() {
      const el = $("#hook-state");
      try {
        const hk = await api("GET", hookUrl);
        let warn = false;
        if (hk.enabled) {
          try { warn = !!(await api("GET", hookUrl + "/settings")).warnOnVulnerabilities; } catch (e) { warn = false; }
        }
        show(el, hk.enabled ? (warn ? "Enabled: warns about secrets, does not block" : "Enabled: blocks pushes with secrets") : "Disabled");
      } catch (e) { show(el, e.message, true); }
    }
    document.querySelectorAll("[data-hook]").forEach((b) => b.addEventListener("click", async () => {
      try {
        const what = b.dataset.hook;
        if (what === "disable") await api("DELETE", hookUrl + "/enabled");
        else await api("PUT", hookUrl + "/enabled", { warnOnVulnerabilities: what === "warn" });
        loadHook();
      } catch (e) { show($("#hook-state"), e.message, true); }
    }));
    async function load() {
      const list = $("#list");
      try {
        const page = await api("GET", API + "/status/projects/" + enc(p) + "/repos/" + enc(r) + "/branches?limit=1000");
        const rows = page.values.map((b) => h("tr", {},
          h("td", {}, h("a", { href: "/projects/" + enc(p) + "/repos/" + enc(r) + "/security?branch=" + enc(b.displayId), text: b.displayId }),
            b.default ? " (default)" : ""),
          h("td", {}, badge(b.status)),
          h("td", { text: String(b.vulnerabilities) }),
          h("td", { text: b.lastScanDate ? new Date(b.lastScanDate).toLocaleString() : "never" }),
          h("td", {}, h("button", { type: "button", onclick: async (ev) => {
            ev.target.disabled = true;
            try { await api("POST", API + "/scan/" + enc(p) + "/repos/" + enc(r) + "?branch=" + enc(b.branch)); } catch (e) { alert(e.message); }
            load();
          }, text: b.lastScanDate ? "Rescan" : "Scan" }))));
        list.replaceChildren(rows.length ? h("table", {},
          h("thead", {}, h("tr", {}, h("th", { text: "Branch" }), h("th", { text: "Status" }),
            h("th", { text: "Vulnerabilities" }), h("th", { text: "Last scan" }), h("th", { text: "" }))),
          h("tbody", {}, rows)) : "No branches yet.");
        if (page.values.some((b) => b.status === "QUEUED" || b.status === "RUNNING")) setTimeout(load, 1500);
      } catch (e) { show(list, e.message, true); }
    }
    loadHook();
    load();
  }

  // ---- Branch Security Analysis ----
  function redact(s) {
    const chars = Array.from(s);
    return chars.slice(0, 4).join("") + "*".repeat(Math.max(0, chars.length - 4));
  }

  function security() {
    const p = body.dataset.project, r = body.dataset.repo;
    const base = API + "/scan/" + enc(p) + "/repos/" + enc(r);
    const branchSel = $("#branch"), ruleSel = $("#rule");
    let timer = null;

    function query() {
      let q = "?branch=" + enc(branchSel.value);
      if (ruleSel.value) q += "&rule=" + enc(ruleSel.value);
      if ($("#include-reviewed").checked) q += "&includeReviewed=true";
      if ($("#include-allowlisted").checked) q += "&includeAllowlisted=true";
      return q;
    }

    async function loadRules() {
      try {
        const names = await api("GET", API + "/scan/" + enc(p) + "/rule_types/" + enc(r) + "?branch=" + enc(branchSel.value));
        const keep = ruleSel.value;
        ruleSel.replaceChildren(h("option", { value: "", text: "All rules" }),
          ...names.map((n) => h("option", { value: n, text: n })));
        ruleSel.value = names.includes(keep) ? keep : "";
      } catch (e) { /* the list stays as it is */ }
    }

    function finding(f) {
      const chars = Array.from(f.text);
      let before = "", match = f.text, after = "";
      if (!f.truncated) {
        before = chars.slice(0, f.lineOffsetStart).join("");
        match = chars.slice(f.lineOffsetStart, f.lineOffsetEnd).join("");
        after = chars.slice(f.lineOffsetEnd).join("");
      }
      const mark = h("mark", { text: redact(match), title: "Redacted secret" });
      let revealed = false;
      const reveal = h("button", { type: "button", "aria-pressed": "false", onclick: () => {
        revealed = !revealed;
        mark.textContent = revealed ? match : redact(match);
        reveal.textContent = revealed ? "Hide" : "Reveal";
        reveal.setAttribute("aria-pressed", String(revealed));
      }, text: "Reveal" });
      const review = h("button", { type: "button", onclick: async () => {
        const q = f.reviewed ? "Unmark this finding as reviewed? It will count as a vulnerability again."
          : "Mark this finding as reviewed (a false positive or accepted)? Matches of this text for rule " + f.ruleName + " stop counting in this repository.";
        if (!confirm(q)) return;
        try {
          await api("POST", API + "/review-lines/projects/" + enc(p) + "/repos/" + enc(r) + (f.reviewed ? "/delete" : "/create"),
            { matchText: match, ruleName: f.ruleName });
          // The branch's vulnerability count depends on the reviewed findings: rescan (the
          // blobs come from the scan cache, so this is quick).
          await api("POST", base + "?branch=" + enc(branchSel.value));
          load();
        } catch (e) { alert(e.message); }
      }, text: f.reviewed ? "Unmark reviewed" : "Mark reviewed" });
      return h("div", { class: "finding" },
        h("span", { class: "ln", text: String(f.line) }),
        h("code", {}, before, mark, after, f.truncated ? " …" : ""),
        h("div", { class: "meta" },
          h("span", { class: "tag", text: f.ruleName }),
          f.blocking ? h("span", { class: "tag", text: "blocking" }) : h("span", { class: "tag", text: "warn only" }),
          f.reviewed ? h("span", { class: "tag", text: "reviewed" }) : null,
          f.allowlisted ? h("span", { class: "tag", text: "allowlisted" }) : null,
          reveal, review));
    }

    async function load() {
      clearTimeout(timer);
      const out = $("#findings"), prog = $("#progress");
      if (!branchSel.value) { out.textContent = "This repository has no branches."; return; }
      $("#export").href = "/rest/security/latest/export-report/" + enc(p) + "/repos/" + enc(r) + "?branch=" + enc(branchSel.value);
      let res;
      try { res = await api("GET", base + query()); } catch (e) { show(out, e.message, true); return; }
      $("#scan").textContent = res.scanned ? "Rescan" : "Scan";
      if (res.scheduled) {
        prog.replaceChildren(h("div", {}, (res.running ? "Scanning… " : "Queued… ") + res.progress + "%"),
          h("div", { class: "progress" }, h("span", { style: "width:" + res.progress + "%" })));
        $("#scan").disabled = true;
        timer = setTimeout(load, 1000);
      } else {
        $("#scan").disabled = false;
        prog.replaceChildren(res.error ? h("p", { class: "error", text: "The last scan failed: " + res.error })
          : res.scanned ? h("p", { class: "hint", text: "Scanned commit " + (res.commitId || "").slice(0, 12) + " on " + new Date(res.scanDate).toLocaleString() +
            (res.skippedFiles ? " · " + res.skippedFiles + " files skipped" : "") }) : h("p", { class: "hint", text: "This branch was not scanned yet." }));
      }
      $("#outdated").hidden = !(res.scanned && !res.actual);
      if (res.configError) prog.append(h("p", { class: "error", text: "soteri-security.yml: " + res.configError }));
      if (!res.scanned) { out.replaceChildren(); return; }
      const lines = res.invalidLines || [];
      const byFile = new Map();
      for (const f of lines) {
        if (!byFile.has(f.path)) byFile.set(f.path, []);
        byFile.get(f.path).push(f);
      }
      out.replaceChildren(h("p", { id: "summary", text: lines.length === 0 ? "No findings: this branch is secure."
        : plural(lines.length, "finding") + " in " + plural(byFile.size, "file") }),
        ...[...byFile].map(([path, fs]) => h("section", { class: "file card" }, h("h3", { text: path }), fs.map(finding))));
    }

    async function loadBranches() {
      try {
        const page = await api("GET", API + "/status/projects/" + enc(p) + "/repos/" + enc(r) + "/branches?limit=1000");
        const want = body.dataset.branch;
        branchSel.replaceChildren(...page.values.map((b) => h("option", { value: b.displayId, text: b.displayId })));
        const def = page.values.find((b) => b.default);
        if (want && page.values.some((b) => b.displayId === want)) branchSel.value = want;
        else if (def) branchSel.value = def.displayId;
      } catch (e) { show($("#findings"), e.message, true); }
    }

    $("#scan").addEventListener("click", async () => {
      $("#scan").disabled = true;
      try { await api("POST", base + "?branch=" + enc(branchSel.value)); } catch (e) { alert(e.message); }
      load();
    });
    branchSel.addEventListener("change", () => {
      history.replaceState(null, "", "?branch=" + enc(branchSel.value));
      loadRules();
      load();
    });
    for (const id of ["#rule", "#include-reviewed", "#include-allowlisted"]) $(id).addEventListener("change", load);
    loadBranches().then(() => { loadRules(); load(); });
  }

  // ---- settings ----
  function cronText(expr) {
    if (!expr.trim()) return "Never: scheduled scans are off.";
    let f = expr.trim().split(/\s+/).map((x) => (x === "?" ? "*" : x));
    // Quartz: seconds first, optional year last, weekdays 1 (Sunday) to 7.
    const quartz = f.length === 6 || f.length === 7;
    if (quartz) f = f.slice(1, 6);
    else if (f.length !== 5) return null;
    const [min, hour, dom, mon, dow] = f;
    const days = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
    const num = (s) => /^\d+$/.test(s);
    const day = (d) => (num(d) ? days[(Number(d) + (quartz ? 6 : 0)) % 7] : d);
    let when;
    if (num(min) && num(hour)) when = "at " + hour.padStart(2, "0") + ":" + min.padStart(2, "0") + " UTC";
    else if (num(min) && hour === "*") when = "at minute " + min + " of every hour";
    else if (min.startsWith("*/") && hour === "*") when = "every " + min.slice(2) + " minutes";
    else if (min === "*" && hour === "*") when = "every minute";
    else when = "at minute " + min + ", hour " + hour + " (UTC)";
    let on = "every day";
    if (dow !== "*" && dom === "*") on = "on " + dow.split(",").map(day).join(", ");
    else if (dom !== "*") on = "on day " + dom + " of the month";
    if (mon !== "*") on += " in month " + mon;
    return "Runs " + when + ", " + on + ".";
  }

  function settings() {
    const msg = $("#msg");
    async function loadSettings() {
      const s = await api("GET", API + "/settings");
      $("#hookMode").value = s.hookMode;
      $("#perRepositoryRules").checked = !!s.perRepositoryRules;
      $("#parallelScans").value = s.parallelScans;
      $("#scanSchedule").value = s.scanSchedule || "";
      $("#appAccess").value = (s.appAccess || []).join(", ");
      preview();
      const l = await api("GET", API + "/loglevel");
      $("#loglevel").value = l.logLevelOverride;
    }
    function preview() {
      const t = cronText($("#scanSchedule").value);
      show($("#cron-preview"), t || "Not a cron expression: five fields (minute hour day month weekday) or Quartz's six or seven.", !t);
    }
    $("#scanSchedule").addEventListener("input", preview);
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
        show(msg, "Settings saved.");
        loadSettings();
      } catch (e) { show(msg, e.message, true); }
    });
    $("#save-loglevel").addEventListener("click", async () => {
      try {
        await api("PUT", API + "/loglevel?logLevelOverride=" + enc($("#loglevel").value));
        show(msg, "Log level set to " + $("#loglevel").value + ".");
      } catch (e) { show(msg, e.message, true); }
    });

    async function loadRules() {
      const rules = await api("GET", API + "/rules");
      const groups = new Map();
      for (const rule of rules.filter((x) => x.hardcoded)) {
        const c = rule.category || "Other";
        if (!groups.has(c)) groups.set(c, []);
        groups.get(c).push(rule);
      }
      $("#builtin").replaceChildren(...[...groups].map(([cat, rs]) => h("fieldset", {},
        h("legend", { text: cat }),
        h("div", { class: "rules" }, rs.map((rule) => h("label", { title: rule.description || "" },
          h("input", { type: "checkbox", "data-rule": rule.name, checked: rule.enabled, onchange: async (ev) => {
            try {
              await api(ev.target.checked ? "POST" : "DELETE", API + "/hardcoded/" + enc(rule.name));
              show(msg, rule.name + (ev.target.checked ? " enabled." : " disabled."));
            } catch (e) { ev.target.checked = !ev.target.checked; show(msg, e.message, true); }
          } }), " ", rule.name))))));
      const custom = rules.filter((x) => !x.hardcoded);
      $("#custom").replaceChildren(custom.length ? h("table", {},
        h("thead", {}, h("tr", {}, h("th", { text: "Name" }), h("th", { text: "Regular expression" }), h("th", { text: "Mode" }), h("th", { text: "" }))),
        h("tbody", {}, custom.map((c) => h("tr", {},
          h("td", {}, c.name, c.validationError ? h("div", { class: "error", text: c.validationError }) : null),
          h("td", {}, h("code", { text: c.regexp })),
          h("td", { text: (c.enabled ? "" : "disabled, ") + (c.blocking ? "blocking" : "warn only") }),
          h("td", {}, h("button", { type: "button", onclick: async () => {
            if (!confirm("Delete the rule " + c.name + "?")) return;
            try { await api("DELETE", API + "/rules/" + enc(c.id)); show(msg, "Rule deleted."); loadRules(); } catch (e) { show(msg, e.message, true); }
          }, text: "Delete" })))))) : h("p", { class: "hint", text: "No custom rules." }));
    }
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
        show(msg, "Rule created.");
        ev.target.reset();
        show($("#regexp-check"), "");
        loadRules();
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
      } catch (e) { show(msg, e.message, true); }
    });
    loadSettings().catch((e) => show(msg, e.message, true));
    loadRules().catch((e) => show($("#builtin"), e.message, true));
  }

  const pages = { dashboard, project, repository, security, settings };
  const run = pages[body.dataset.page];
  if (run) run();
})();
