// OCMS rules workbench: a page over the service's JSON endpoints. Reads only.
// Every value from the service is written with textContent (never as HTML).
"use strict";

const STORE = "ocms.workbench.credential";
const state = { ruleset: null, summary: null, status: null };

function credential() {
  try { return JSON.parse(sessionStorage.getItem(STORE) || "null"); } catch (e) { return null; }
}

function authHeaders() {
  const c = credential();
  if (!c) return {};
  return c.kind === "key" ? { "Ocp-Apim-Subscription-Key": c.value } : { "Authorization": "Bearer " + c.value };
}

async function api(path, options = {}) {
  const resp = await fetch(path, { ...options, headers: { ...(options.headers || {}), ...authHeaders() } });
  let body = null;
  const text = await resp.text();
  try { body = text ? JSON.parse(text) : null; } catch (e) { body = { raw: text }; }
  if (!resp.ok) {
    const data = (body && body.data) || {};
    const err = new Error((data.appCode ? data.appCode + ": " : "") + (data.message || resp.statusText));
    err.status = resp.status;
    err.details = data.errors || [];
    throw err;
  }
  return body;
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k === "dataset") Object.assign(node.dataset, v);
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

function show(id, text, cls) {
  const node = document.getElementById(id);
  node.textContent = "";
  if (text) node.append(text instanceof Node ? text : document.createTextNode(text));
  if (cls) node.className = cls;
}

function errorBlock(err) {
  const box = el("div", {}, err.message);
  if (err.details && err.details.length) {
    const ul = el("ul");
    for (const d of err.details) {
      const where = d.file ? `${d.file}:${d.line}:${d.column}` : (d.field || "");
      ul.append(el("li", {}, where ? where + ": " : "", d.message || "", d.hint ? " — hint: " + d.hint : ""));
    }
    box.append(ul);
  }
  return box;
}

function fmt(v) {
  if (v === null || v === undefined) return "";
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

function actionsText(actions) {
  return (actions || []).map(a => {
    const name = a.name || Object.keys(a)[0];
    const params = a.params || a[name] || {};
    const args = Object.entries(params).map(([k, v]) => `${k}: ${fmt(v)}`).join(", ");
    return args ? `${name}(${args})` : name;
  }).join("; ");
}

// ---- sign in -------------------------------------------------------------------------
async function signIn() {
  try {
    state.status = await api("/v1/rulesets");
  } catch (err) {
    document.getElementById("workspace").hidden = true;
    show("signin-error", err.status === 401 ? "That token or key was not accepted (OCMS-4001)." : errorBlock(err));
    show("in-service", "not signed in");
    return;
  }
  show("signin-error", "");
  const a = state.status.active;
  show("in-service", `in service: generation ${a.generation}, hash ${String(a.hash).slice(0, 12)}` +
       (state.status.shadow ? ` · shadow run ${state.status.shadow.id} on` : ""));
  document.getElementById("workspace").hidden = false;
  const list = document.getElementById("rulesets");
  list.textContent = "";
  for (const [name, info] of Object.entries(a.rulesets)) {
    list.append(el("li", {}, el("button", { class: "link", dataset: { ruleset: name }, onclick: () => pick(name) },
                                 name, el("span", { class: "muted" }, " " + info.version))));
  }
  if (state.ruleset) pick(state.ruleset);
}

document.getElementById("credential-form").addEventListener("submit", ev => {
  ev.preventDefault();
  const kind = document.querySelector("input[name=kind]:checked").value;
  const value = document.getElementById("credential").value.trim();
  sessionStorage.setItem(STORE, JSON.stringify({ kind, value }));
  document.getElementById("credential").value = "";
  signIn();
});
document.getElementById("signout-button").addEventListener("click", () => {
  sessionStorage.removeItem(STORE);
  document.getElementById("workspace").hidden = true;
  show("in-service", "not signed in");
});

// ---- tabs -------------------------------------------------------------------------------
for (const b of document.querySelectorAll("[data-tab]")) {
  b.addEventListener("click", () => openTab(b.dataset.tab));
}
function openTab(name) {
  for (const b of document.querySelectorAll("[data-tab]")) b.classList.toggle("active", b.dataset.tab === name);
  for (const t of document.querySelectorAll(".tab")) t.hidden = t.id !== "tab-" + name;
  if (name === "versions" && state.ruleset) loadVersions();
}

// ---- a ruleset: its rules ---------------------------------------------------------------
async function pick(name) {
  state.ruleset = name;
  for (const b of document.querySelectorAll("#rulesets button")) b.classList.toggle("active", b.dataset.ruleset === name);
  let rs;
  try { rs = await api("/v1/rulesets/" + encodeURIComponent(name)); } catch (err) { show("ruleset-meta", errorBlock(err)); return; }
  state.summary = rs;
  show("ruleset-title", `${rs.name} — ${rs.title || ""}`);
  show("ruleset-meta", `version ${rs.version} · ${rs.file} · hit policy ${rs.hitPolicy} · ${rs.source || ""}`);
  const body = document.querySelector("#rules-table tbody");
  body.textContent = "";
  rs.rules.forEach((r, i) => {
    const conds = el("ul", { class: "conds" });
    for (const c of r.conditions) conds.append(el("li", {}, c));
    const row = el("tr", { dataset: { rule: r.id }, onclick: () => showSource(r) },
      el("td", {}, i + 1), el("td", {}, el("strong", {}, r.id), el("div", { class: "muted" }, r.description || "")),
      el("td", {}, conds), el("td", {}, r.outcome || ""), el("td", {}, [r.code, r.message].filter(Boolean).join(" · ")),
      el("td", {}, actionsText(r.actions)));
    body.append(row);
  });
  const d = rs.default || {};
  show("default-row", `Default (no rule matches): ${d.outcome || ""} ${d.message ? "· " + d.message : ""} ${actionsText(d.actions)}`);
  document.getElementById("rule-source").hidden = true;
  document.getElementById("facts").value = JSON.stringify(factTemplate(rs), null, 2);
  document.getElementById("parameters").value = "";
  show("decision", "");
  document.getElementById("trace-table").hidden = true;
  show("fixtures-summary", "");
  document.getElementById("fixtures-table").hidden = true;
  show("impact-result", "");
  if (!document.getElementById("tab-versions").hidden) loadVersions();
}

function showSource(rule) {
  const pre = document.getElementById("rule-source");
  pre.textContent = rule.source || "(source not available)";
  pre.hidden = false;
}

function factTemplate(rs) {
  const out = {};
  for (const [name, f] of Object.entries(rs.facts)) {
    const sample = { string: (f.enum && f.enum[0]) || "", integer: 0, decimal: 0.0, boolean: false,
                     date: "2026-01-15", datetime: "2026-01-15T08:30:00" }[f.type];
    out[name] = f.required ? sample : null;
  }
  return out;
}

// ---- try facts ------------------------------------------------------------------------------
document.getElementById("decide-button").addEventListener("click", async () => {
  show("decide-error", "");
  let facts, parameters = null;
  try {
    facts = JSON.parse(document.getElementById("facts").value);
    const p = document.getElementById("parameters").value.trim();
    if (p) parameters = JSON.parse(p);
  } catch (e) { show("decide-error", "The facts (or parameters) are not valid JSON: " + e.message); return; }
  let d;
  try {
    d = await api("/v1/decisions/" + encodeURIComponent(state.ruleset), {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ facts, explain: true, parameters }) });
  } catch (err) { show("decide-error", errorBlock(err)); show("decision", ""); document.getElementById("trace-table").hidden = true; return; }
  const box = el("div", { class: "decision" },
    el("div", { class: "outcome", "data-testid": "outcome" }, d.outcome || "(no outcome)"),
    el("div", {}, "fired: ", d.firedRules.length ? d.firedRules.join(", ") : "none — the default applied"),
    d.code ? el("div", {}, "code: " + d.code) : null, d.message ? el("div", {}, "message: " + d.message) : null,
    Object.keys(d.outputs || {}).length ? el("div", {}, "outputs: " + fmt(d.outputs)) : null,
    d.actions.length ? el("div", {}, "actions: " + actionsText(d.actions)) : null,
    el("div", { class: "muted" }, `version ${d.version} · hash ${d.hash.slice(0, 12)}`));
  show("decision", box);
  const body = document.querySelector("#trace-table tbody");
  body.textContent = "";
  for (const t of d.trace || []) {
    const result = t.matched ? "matched" : (t.tried ? "did not match" : "not tried (an earlier rule won)");
    body.append(el("tr", { class: t.matched ? "hit" : "" }, el("td", {}, t.rule), el("td", {}, result),
      el("td", t.compiledCondition ? { title: `line ${t.line || "?"} · engine: ${t.compiledCondition}` } : {},
        t.failedCondition || ""),
      el("td", {}, "failedCondition" in t ? fmt(t.actual) : "")));
  }
  document.getElementById("trace-table").hidden = false;
});

// ---- fixtures ---------------------------------------------------------------------------------
document.getElementById("fixtures-button").addEventListener("click", async () => {
  let r;
  try { r = await api(`/v1/rulesets/${encodeURIComponent(state.ruleset)}/fixtures`); }
  catch (err) { show("fixtures-summary", errorBlock(err)); return; }
  const unc = r.uncovered.length ? ` · rules no fixture fires: ${r.uncovered.join(", ")}` : " · every rule is fired by a fixture";
  const vc = r.valueCoverage;
  const values = vc ? ` · values tried: ${vc.exercised}/${vc.targets} (${vc.percent}%)` +
    (vc.missing.length ? ` — no fixture: ${vc.missing.join("; ")}` : "") : "";
  show("fixtures-summary", `${r.passed} passed, ${r.failed} failed${unc}${values}`, r.failed ? "error" : "ok");
  const body = document.querySelector("#fixtures-table tbody");
  body.textContent = "";
  for (const c of r.cases) {
    body.append(el("tr", { class: c.passed ? "" : "fail" }, el("td", {}, c.name, el("div", { class: "muted" }, `${c.file}:${c.line}`)),
      el("td", {}, c.passed ? "PASS" : "FAIL"), el("td", {}, c.decision ? (c.decision.firedRules.join(", ") || "default") : "refused"),
      el("td", {}, c.problems.join("; "))));
  }
  document.getElementById("fixtures-table").hidden = false;
});

// ---- versions ---------------------------------------------------------------------------------
async function loadVersions() {
  let r;
  try { r = await api(`/v1/rulesets/${encodeURIComponent(state.ruleset)}/versions`); }
  catch (err) { show("versions", errorBlock(err)); return; }
  const box = el("div");
  for (const v of r.versions) {
    const head = v.removed ? `generation ${v.generation}: removed` :
      `generation ${v.generations.join(", ")} · version ${v.version} · ${v.publishedAt} by ${v.publishedBy || "?"}` +
      (v.inService ? " · IN SERVICE" : "");
    box.append(el("h3", {}, head), v.diff ? el("pre", { class: "diff" }, v.diff) : el("div", { class: "muted" }, "first published version"));
  }
  show("versions", box);
}

// ---- impact of a candidate ----------------------------------------------------------------------
document.getElementById("impact-form").addEventListener("submit", async ev => {
  ev.preventDefault();
  show("impact-error", "");
  show("impact-result", "");
  const files = document.getElementById("impact-files").files;
  if (!files.length) { show("impact-error", "Choose a .zip or the changed .yaml files first."); return; }
  const form = new FormData();
  const zip = files.length === 1 && files[0].name.toLowerCase().endsWith(".zip");
  if (zip) form.append("bundle", files[0], files[0].name);
  else for (const f of files) form.append("files", f, f.name);
  if (!zip) form.append("overlay", "true");
  const against = [];
  if (document.getElementById("impact-fixtures").checked) against.push("fixtures");
  if (document.getElementById("impact-log").checked) against.push("decision-log");
  const q = new URLSearchParams({ against: against.join(",") });
  const since = document.getElementById("impact-since").value;
  if (since) q.set("since", since);
  if (document.getElementById("impact-only").checked && state.ruleset) q.set("ruleset", state.ruleset);
  show("impact-result", "deciding…", "muted");
  let r;
  try { r = await api("/v1/admin/rules/impact?" + q.toString(), { method: "POST", body: form }); }
  catch (err) { show("impact-result", ""); show("impact-error", errorBlock(err)); return; }
  const box = el("div");
  box.append(el("div", { class: r.changed ? "outcome changed" : "outcome", "data-testid": "impact-verdict" },
    r.changed ? "Some decisions would change" : "No decision would change"));
  for (const [key, title] of [["fixtures", "Fixture cases"], ["decisionLog", "Logged decisions"]]) {
    const s = r[key];
    if (!s) continue;
    box.append(el("h3", {}, `${title}: ${s.changed} of ${s.compared} would change` +
      (key === "decisionLog" ? ` (${s.rowsRead} read${s.truncated ? ", window truncated" : ""})` : "")));
    if (s.pairs.length) {
      const t = el("table", { class: "pairs" }, el("thead", {}, el("tr", {}, el("th", {}, "Ruleset"), el("th", {}, "Before"),
        el("th", {}, "After"), el("th", {}, "Decisions"))));
      const tb = el("tbody");
      for (const p of s.pairs) tb.append(el("tr", {}, el("td", {}, p.ruleset), el("td", {}, fmt(p.before)), el("td", {}, fmt(p.after)), el("td", {}, p.count)));
      t.append(tb);
      box.append(t);
    }
    if (s.changes.length) {
      const t = el("table", { class: "changes", "data-testid": "impact-changes-" + key }, el("thead", {}, el("tr", {},
        el("th", {}, "Subject"), el("th", {}, "Ruleset"), el("th", {}, "Before"), el("th", {}, "After"),
        el("th", {}, "Fired before"), el("th", {}, "Fired after"))));
      const tb = el("tbody");
      for (const c of s.changes) tb.append(el("tr", {}, el("td", {}, c.subject || c.ref), el("td", {}, c.ruleset),
        el("td", {}, fmt(c.before.outcome)), el("td", {}, fmt(c.after.outcome) + (c.after.error ? " — " + c.after.error : "")),
        el("td", {}, c.before.firedRules.join(", ") || "default"), el("td", {}, c.after.firedRules.join(", ") || "default")));
      t.append(tb);
      box.append(t);
    }
  }
  show("impact-result", box, "");
});

if (credential()) signIn();
