// cxgraph's browser view: search a customer, case or order; show its context pack as a graph (nodes coloured
// by the source graph their facts come from, edges labelled, systems of record marked), the journey as a
// timeline across channels, the recommendations, the conflicts between systems and the validation results
// that touch it. Everything comes from the API this page is served by; nothing from elsewhere.
"use strict";

const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                 "#bcbd22", "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd"];
const TIMES = ["occurredAt", "placedAt", "openedAt", "detectedAt", "scheduledAt", "decidedAt", "shippedAt",
               "deliveredAt", "issuedOn", "prov:generatedAtTime"];
const PLURAL = {customer: "customers", case: "cases", order: "orders"};
const $ = (id) => document.getElementById(id);
const keyInput = $("key");
keyInput.value = sessionStorage.getItem("cxgraph-key") || "";
keyInput.addEventListener("change", () => sessionStorage.setItem("cxgraph-key", keyInput.value));

async function api(path) {
  const headers = keyInput.value ? {"X-API-Key": keyInput.value} : {};
  const response = await fetch(path, {headers});
  const body = await response.json();
  if (!response.ok) { throw new Error(body.detail || body.title || response.statusText); }
  return body;
}

function showError(error) {
  $("error").hidden = false;
  $("error").textContent = String(error.message || error);
}

function text(element, value) { element.textContent = value; return element; }
function item(list, value, cls) { const li = text(document.createElement("li"), value); if (cls) li.className = cls; list.append(li); return li; }
function values(value) { return Array.isArray(value) ? value : value === undefined ? [] : [value]; }
function lexical(value) { return typeof value === "object" && value !== null ? (value["@value"] ?? value["@id"]) : value; }
function local(id) { return String(id).split(/[/#:]/).pop(); }

$("search").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("error").hidden = true;
  try {
    const found = await api("/search?q=" + encodeURIComponent($("q").value));
    const results = $("results");
    results.replaceChildren();
    if (!found.length) { item(results, "Nothing found."); return; }
    for (const hit of found) {
      const button = text(document.createElement("button"), `${hit.kind}: ${hit.label} (${hit.identifier})`);
      button.dataset.kind = hit.kind;
      button.dataset.id = hit.identifier;
      button.addEventListener("click", () => open(hit.kind, hit.identifier).catch(showError));
      results.append(button);
    }
  } catch (error) { showError(error); }
});

async function open(kind, identifier) {
  const pack = await api(`/${PLURAL[kind]}/${encodeURIComponent(identifier)}/context`);
  const base = pack["@context"].id;
  const full = (id) => String(id).startsWith("id:") ? base + String(id).slice(3) : String(id);
  const nodes = new Map();  // id -> {id, source, types, label, props}
  for (const graph of pack["@graph"]) {
    for (const node of graph["@graph"]) {
      const known = nodes.get(node["@id"]) || {id: node["@id"], source: graph["@id"], types: [], props: {}};
      // coloured by the source system whose graph holds it, before the engine's graphs (identity, derived)
      if (graph["@id"].startsWith("graph:source/") && !known.source.startsWith("graph:source/")) { known.source = graph["@id"]; }
      known.types.push(...values(node["@type"]));
      for (const [key, value] of Object.entries(node)) {
        if (!key.startsWith("@")) { known.props[key] = (known.props[key] || []).concat(values(value)); }
      }
      nodes.set(node["@id"], known);
    }
  }
  for (const node of nodes.values()) {
    const name = node.props["rdfs:label"] || node.props.hasName || node.props.hasSourceIdentifier;
    node.label = name ? lexical(name[0]) : local(node.id);
  }
  // systems of record: an authority assignment for a record's definition names the system that holds it
  const authority = new Set();
  for (const node of nodes.values()) {
    if (!node.types.includes("AuthorityAssignment")) { continue; }
    for (const concept of node.props.concernsConcept || []) {
      for (const system of node.props.assignsAuthorityTo || []) { authority.add(local(lexical(concept)) + " " + lexical(system)); }
    }
  }
  const sources = [...new Set([...nodes.values()].map((n) => n.source))];
  const colour = (source) => PALETTE[sources.indexOf(source) % PALETTE.length];
  const elements = [];
  const edges = [];
  for (const node of nodes.values()) {
    const system = lexical((node.props.isRecordedIn || [])[0]);
    const ofRecord = node.types.some((t) => authority.has(local(t) + " " + system));
    elements.push({data: {id: node.id, label: (ofRecord ? "★ " : "") + node.label, colour: colour(node.source),
                          record: ofRecord ? "yes" : "no"}});
    node.systemOfRecord = ofRecord;
    for (const [key, list] of Object.entries(node.props)) {
      for (const value of list) {
        const target = lexical(value);
        if (typeof target === "string" && nodes.has(target) && target !== node.id) {
          edges.push({source: node.id, target, label: key});
          elements.push({data: {id: `${node.id}|${key}|${target}`, source: node.id, target, label: key}});
        }
      }
    }
  }
  $("view").hidden = false;
  text($("title"), `${kind} ${identifier}`);
  const p = pack.pack;
  text($("meta"), `scope ${p.scope.name}: ${p.facts} facts from ${p.sources.length} sources` +
       (p.withheld ? `, ${p.withheld} withheld by the scope` : "") +
       p.sections.filter((s) => s.leftOut).map((s) => `; ${s.leftOut} ${s.name} left out`).join(""));
  const graph = cytoscape({
    container: $("graph"), elements,
    style: [
      {selector: "node", style: {"background-color": "data(colour)", label: "data(label)", "font-size": 9,
                                 "text-wrap": "ellipsis", "text-max-width": 110, width: 14, height: 14}},
      {selector: "node[record = 'yes']", style: {"border-width": 3, "border-color": "#000", width: 20, height: 20}},
      {selector: "edge", style: {label: "data(label)", "font-size": 7, width: 1, "line-color": "#bbb",
                                 "curve-style": "bezier", "target-arrow-shape": "triangle",
                                 "target-arrow-color": "#bbb", color: "#667"}},
    ],
    layout: {name: "cose", animate: false, randomize: false, nodeRepulsion: 9000, idealEdgeLength: 70},
  });
  const legend = $("legend");
  legend.replaceChildren();
  for (const source of sources) {
    const li = item(legend, source.replace(/^graph:/, ""));
    const dot = document.createElement("span");
    dot.style.background = colour(source);
    li.prepend(dot);
  }
  item(legend, "★ system of record");
  // the journey: every node with a time, newest first, with its channel and source
  const timeline = [];
  for (const node of nodes.values()) {
    for (const key of TIMES) {
      for (const when of node.props[key] || []) {
        const channel = (node.props.isOnChannel || []).map((c) => nodes.get(lexical(c))?.label || local(lexical(c)));
        timeline.push({when: lexical(when), what: `${node.types.filter((t) => !t.includes(":"))[0] || "event"} ${node.label}`,
                       key, channel: channel.join(", "), source: node.source});
      }
    }
  }
  // by instant (systems write different offsets; a day is its start, UTC), newest first
  const instant = (when) => Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(when) ? when + "T00:00:00Z" : when) || 0;
  timeline.sort((a, b) => instant(b.when) - instant(a.when) || String(b.when).localeCompare(String(a.when)));
  const list = $("timeline");
  list.replaceChildren();
  for (const entry of timeline) {
    const li = item(list, ` ${entry.what} (${entry.key}, ${entry.source.replace(/^graph:/, "")})`);
    li.prepend(text(document.createElement("time"), entry.when));
    if (entry.channel) { li.append(text(document.createElement("span"), entry.channel)); li.lastChild.className = "channel"; }
  }
  const recommendations = [];
  for (const node of nodes.values()) {
    if (!node.types.includes("Recommendation")) { continue; }
    const rules = (node.props.hasRuleFiring || []).flatMap((f) => (nodes.get(lexical(f))?.props.firedRule || [])
      .map((r) => nodes.get(lexical(r))?.label || local(lexical(r))));
    recommendations.push(`${node.label}${rules.length ? " (rules: " + rules.join(", ") + ")" : ""}`);
  }
  $("recommendations").replaceChildren();
  for (const r of recommendations) { item($("recommendations"), r); }
  if (!recommendations.length) { item($("recommendations"), "None kept (cxgraph recommend keeps them)."); }
  const conflicts = [];
  const party = p.party || (kind === "customer" ? p.about : null);
  if (party) {
    const answer = await api("/queries/conflicting-values?customer=" + encodeURIComponent(full(party)));
    for (const b of answer.results.bindings) {
      conflicts.push(Object.values(b).map((t) => local(t.value) === t.value ? t.value : local(t.value)).join(" | "));
    }
  }
  $("conflicts").replaceChildren();
  for (const c of conflicts) { item($("conflicts"), c); }
  if (!conflicts.length) { item($("conflicts"), "No system disagrees with its system of record."); }
  const validation = [];
  try {
    const report = await api("/validation");
    const ids = new Set([...nodes.keys()].map(full));
    for (const result of report.results) {
      if (ids.has(result.focus)) { validation.push(result); }
    }
  } catch (error) { validation.push({severity: "Info", message: String(error.message), focus: ""}); }
  $("validation").replaceChildren();
  for (const v of validation) { item($("validation"), `${v.severity}: ${v.message} (${local(v.focus)})`, v.severity); }
  if (!validation.length) { item($("validation"), "No validation result touches these records."); }
  window.cxgraphView = {kind, identifier, nodes: [...nodes.values()], edges, sources, timeline, recommendations,
                        conflicts, validation, ready: true, graph};
}
