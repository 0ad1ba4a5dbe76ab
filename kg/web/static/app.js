// The query page: saved queries with a form each, results as a table, and YASGUI for custom
// SPARQL. Plain browser JavaScript, no build step; everything is served by `kg serve`.
"use strict";

const state = { queries: [], prefixes: {}, current: null };

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") node.textContent = v;
    else if (v !== undefined && v !== null && v !== false) node.setAttribute(k, v);
  }
  for (const child of children) node.append(child);
  return node;
}

function shorten(iri) {
  for (const [prefix, ns] of Object.entries(state.prefixes)) {
    if (iri.startsWith(ns) && iri.length > ns.length) return prefix + ":" + iri.slice(ns.length);
  }
  return iri;
}

function queryUrl(name, params, format) {
  const search = new URLSearchParams(params);
  if (format) search.set("format", format);
  const path = name.split("/").map(encodeURIComponent).join("/");
  return "/queries/" + path + (search.toString() ? "?" + search.toString() : "");
}

function renderList() {
  const list = document.getElementById("query-list");
  list.replaceChildren();
  for (const q of state.queries) {
    const button = el("button", { type: "button", "data-query": q.name, "aria-pressed": "false" },
      el("span", { class: "name", text: q.name }), el("span", { class: "summary", text: q.summary }));
    button.addEventListener("click", () => select(q.name));
    list.append(el("li", {}, button));
  }
}

function select(name) {
  const q = state.queries.find((item) => item.name === name);
  if (!q) return;
  state.current = q;
  history.replaceState(null, "", "#" + encodeURIComponent(name));
  for (const b of document.querySelectorAll("#query-list button")) {
    b.setAttribute("aria-pressed", String(b.dataset.query === name));
  }
  document.getElementById("query-title").textContent = q.name;
  document.getElementById("query-summary").textContent = q.summary;
  document.getElementById("query-description").textContent = q.description;
  const params = document.getElementById("params");
  params.replaceChildren();
  for (const p of q.parameters) {
    let field;
    if (p.allowed && p.allowed.length) {
      field = el("select", { name: p.name, id: "param-" + p.name });
      if (!p.required && p.default === null) field.append(el("option", { value: "", text: "(any)" }));
      for (const value of p.allowed) {
        field.append(el("option", { value, text: value, selected: value === p.default }));
      }
    } else {
      const type = p.type === "integer" || p.type === "decimal" ? "number"
        : p.type === "date" ? "date" : "text";
      field = el("input", { name: p.name, id: "param-" + p.name, type,
        value: p.default ?? "", placeholder: p.required ? "required" : "optional (any)",
        required: p.required });
    }
    const label = el("label", { for: "param-" + p.name },
      el("span", {}, p.name + " (" + p.type + ")", p.required ? el("span", { class: "required", text: " *" }) : ""),
      field);
    params.append(label);
  }
  document.getElementById("query-form").hidden = false;
  document.getElementById("sparql-text").textContent = q.sparql;
  document.getElementById("sparql-text").hidden = true;
  document.getElementById("downloads").hidden = true;
  document.getElementById("results").replaceChildren();
  document.getElementById("error").hidden = true;
  document.getElementById("status").textContent = "";
}

function formValues() {
  const values = {};
  for (const field of document.querySelectorAll("#params input, #params select")) {
    if (field.value.trim() !== "") values[field.name] = field.value.trim();
  }
  return values;
}

function renderTable(data) {
  const results = document.getElementById("results");
  if ("boolean" in data) {
    results.replaceChildren(el("p", { text: "Answer: " + data.boolean }));
    return 1;
  }
  const vars = data.head.vars;
  const table = el("table", { class: "results", id: "results-table" });
  table.append(el("thead", {}, el("tr", {}, ...vars.map((v) => el("th", { text: v })))));
  const body = el("tbody");
  for (const row of data.results.bindings) {
    const tr = el("tr");
    for (const v of vars) {
      const term = row[v];
      const text = !term ? "" : term.type === "uri" ? shorten(term.value) : term.value;
      const numeric = term && term.datatype && /#(integer|decimal|double|float|int|long)$/.test(term.datatype);
      tr.append(el("td", { class: numeric ? "number" : null, title: term && term.type === "uri" ? term.value : null, text }));
    }
    body.append(tr);
  }
  table.append(body);
  results.replaceChildren(table);
  return data.results.bindings.length;
}

async function run(event) {
  event.preventDefault();
  const q = state.current;
  const values = formValues();
  const status = document.getElementById("status");
  const error = document.getElementById("error");
  error.hidden = true;
  status.textContent = "running…";
  const started = performance.now();
  try {
    const response = await fetch(queryUrl(q.name, values, "json"),
      { headers: { Accept: "application/sparql-results+json" } });
    if (!response.ok) {
      const message = await response.text();
      throw new Error("HTTP " + response.status + ": " + message);
    }
    const rows = renderTable(await response.json());
    const seconds = ((performance.now() - started) / 1000).toFixed(2);
    status.textContent = rows + " row" + (rows === 1 ? "" : "s") + " in " + seconds + " s";
    document.getElementById("download-csv").href = queryUrl(q.name, values, "csv");
    document.getElementById("download-csv").setAttribute("download", q.name.replaceAll("/", "-") + ".csv");
    document.getElementById("download-json").href = queryUrl(q.name, values, "json");
    document.getElementById("download-json").setAttribute("download", q.name.replaceAll("/", "-") + ".json");
    document.getElementById("downloads").hidden = false;
  } catch (e) {
    status.textContent = "";
    document.getElementById("results").replaceChildren();
    error.textContent = e.message;
    error.hidden = false;
  }
}

function startEditor() {
  if (typeof Yasgui === "undefined") return;
  const prologue = Object.entries(state.prefixes)
    .map(([p, iri]) => "PREFIX " + p + ": <" + iri + ">").join("\n");
  const value = prologue + "\n\nSELECT ?kind (COUNT(DISTINCT ?visit) AS ?visits)\nWHERE {\n"
    + "  ?visit a kg:Visit ; kg:kind ?kind .\n}\nGROUP BY ?kind\nORDER BY DESC(?visits)\n";
  const endpoint = window.location.origin + "/sparql";
  document.getElementById("endpoint").textContent = endpoint;
  Yasgui.Yasqe.defaults.value = value;
  window.yasgui = new Yasgui(document.getElementById("yasgui"), {
    requestConfig: { endpoint, method: "POST" },
    copyEndpointOnNewTab: true,
    persistenceId: null,
    endpointCatalogueOptions: { getData: () => [{ endpoint }], keys: [] },
    yasqe: { value },
  });
}

async function main() {
  document.getElementById("query-form").addEventListener("submit", run);
  document.getElementById("show-sparql").addEventListener("click", (e) => {
    e.preventDefault();
    const pre = document.getElementById("sparql-text");
    pre.hidden = !pre.hidden;
  });
  const [queries, prefixes] = await Promise.all([
    fetch("/queries").then((r) => r.json()),
    fetch("/prefixes").then((r) => r.json()),
  ]);
  state.queries = queries;
  state.prefixes = prefixes;
  renderList();
  const wanted = decodeURIComponent(window.location.hash.slice(1));
  select(queries.some((q) => q.name === wanted) ? wanted : (queries[0] || {}).name);
  try { startEditor(); } catch (e) { console.error("SPARQL editor failed to start", e); }
}

main();
