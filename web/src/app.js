// The UML Images editor: CodeMirror on the left, the server's render on
// the right (always through <img>, never inlined SVG), state in the URL.
import { EditorView, basicSetup } from "codemirror";
import { Compartment, StateEffect, StateField } from "@codemirror/state";
import { Decoration, keymap } from "@codemirror/view";
import { json } from "@codemirror/lang-json";
import { xml } from "@codemirror/lang-xml";
import { oneDark } from "@codemirror/theme-one-dark";

const $ = (id) => document.getElementById(id);
const previewable = ["svg", "png", "jpeg"];
const maxGetURL = 4000;

const config = await fetch("config.json").then((r) => (r.ok ? r.json() : {})).catch(() => ({}));
const api = (config.apiBaseURL || "").replace(/\/$/, "");
// Each type's formats, preferred format, syntax and example come from the
// API's table, as the deployment serves them.
const allTypes = (await fetch(api + "/v1/types").then((r) => r.json())).types;
const types = allTypes.filter((t) => t.enabled);
const examples = Object.fromEntries(types.map((t) => [t.name, t.example]));
const typeNamed = (name) => allTypes.find((t) => t.name === name || (t.aliases || []).includes(name));

// --- state in the URL: #type/format/encoded-source -------------------------

async function encode(text) {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("deflate"));
  const bytes = new Uint8Array(await new Response(stream).arrayBuffer());
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

async function decode(encoded) {
  const b64 = encoded.replace(/-/g, "+").replace(/_/g, "/");
  const bin = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
  const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
  return new Response(stream).text();
}

// readHash reads the state a link carries: #type/format/encoded[?options]
// or a short link, #d/id. It keeps what it can: an alias is its type, the
// source of a disabled type stays in the editor, and what was wrong is
// said (problem) rather than replaced by an example.
async function readHash() {
  const [path, query = ""] = location.hash.slice(1).split("?");
  const [name, format, encoded] = path.split("/");
  if (!name) return null;
  if (name === "d" && format) {
    const res = await fetch(`${api}/v1/diagrams/${format}`).catch(() => null);
    if (!res?.ok) return { problem: `The short link ${format} names no saved diagram here.` };
    const d = await res.json();
    return { type: d.diagram_type, source: d.diagram_source, options: new URLSearchParams(d.diagram_options || {}) };
  }
  const t = typeNamed(name);
  let source = null;
  let problem = "";
  if (encoded) {
    try {
      source = await decode(encoded);
    } catch {
      problem = "The link's diagram could not be decoded (it is not deflate + base64url); the editor keeps its source.";
    }
  }
  if (!t) return { source, problem: problem || `The link names an unknown diagram type, ${name}.` };
  if (!t.enabled) {
    return { source, problem: `Diagram type ${t.name} is not enabled on this server; the source is kept, shown as another type.` };
  }
  return { type: t.name, format, source, problem, options: new URLSearchParams(query) };
}

// --- editor ----------------------------------------------------------------

const setErrorLine = StateEffect.define();
const errorLine = StateField.define({
  create: () => Decoration.none,
  update(deco, tr) {
    deco = deco.map(tr.changes);
    for (const e of tr.effects) {
      if (e.is(setErrorLine)) {
        deco = Decoration.none;
        if (e.value > 0 && e.value <= tr.state.doc.lines) {
          const line = tr.state.doc.line(e.value);
          deco = Decoration.set([Decoration.line({ class: "cm-error-line" }).range(line.from)]);
        }
      }
    }
    return deco;
  },
  provide: (f) => EditorView.decorations.from(f),
});
const language = new Compartment();
const theme = new Compartment();
const languages = { json, xml };
const languageFor = (type) => languages[types.find((t) => t.name === type)?.syntax]?.() ?? [];

const view = new EditorView({
  parent: $("editor"),
  extensions: [
    basicSetup,
    errorLine,
    language.of([]),
    theme.of([]),
    keymap.of([
      { key: "Mod-Enter", run: () => (render(true), true) },
      { key: "Mod-s", run: () => ($("download-svg").click(), true) },
      { key: "Mod-Shift-d", run: () => (toggleDark(), true) },
    ]),
    EditorView.updateListener.of((u) => u.docChanged && schedule()),
  ],
});

// --- type, format, examples -------------------------------------------------

for (const t of types) $("type").add(new Option(t.name, t.name));
for (const t of types) $("example").add(new Option(t.name, t.name));

function fillOptions(type, values = new URLSearchParams()) {
  const t = types.find((x) => x.name === type);
  const fields = (t.options || []).map((o) => {
    const label = document.createElement("label");
    label.title = o.description;
    let input;
    if (o.values?.length === 1 && o.values[0] === "") {
      input = Object.assign(document.createElement("input"), { type: "checkbox", checked: values.has(o.name) });
    } else if (o.values?.length) {
      input = document.createElement("select");
      input.add(new Option("—", ""));
      for (const v of o.values) input.add(new Option(v, v));
      input.value = values.get(o.name) || "";
    } else {
      input = Object.assign(document.createElement("input"), { placeholder: o.example || "", value: values.get(o.name) || "", size: 8 });
    }
    input.name = o.name;
    input.dataset.option = o.name;
    input.onchange = () => render(true);
    label.append(`${o.name} `, input);
    return label;
  });
  $("option-fields").replaceChildren(...fields);
  $("options").hidden = fields.length === 0;
}

// options are the option fields set, as a query string ("" when none).
function options() {
  const q = new URLSearchParams();
  for (const el of $("option-fields").querySelectorAll("[data-option]")) {
    if (el.type === "checkbox" ? el.checked : el.value) q.set(el.name, el.type === "checkbox" ? "" : el.value);
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}

function fillFormats(type, wanted) {
  const t = types.find((x) => x.name === type);
  const formats = t.formats.filter((f) => previewable.includes(f));
  $("format").replaceChildren(...formats.map((f) => new Option(f, f)));
  $("format").value = formats.includes(wanted) ? wanted : formats.includes(t.preferred_format) ? t.preferred_format : formats[0];
  $("download-svg").hidden = !t.formats.includes("svg");
  $("download-png").hidden = !t.formats.includes("png");
  $("download-source").download = `diagram.${t.extension}`;
}

function setSource(text) {
  view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
}

function setType(type, format, values) {
  $("type").value = type;
  fillFormats(type, format);
  fillOptions(type, values);
  fitNext = true;
  view.dispatch({ effects: language.reconfigure(languageFor(type)) });
}

$("type").onchange = () => {
  setType($("type").value);
  if (!view.state.doc.length || Object.values(examples).includes(view.state.doc.toString())) setSource(examples[$("type").value] || "");
  render(true);
};
$("format").onchange = () => render(true);
$("example").onchange = () => {
  const name = $("example").value;
  if (name) {
    setType(name);
    setSource(examples[name]);
    $("example").value = "";
    render(true);
  }
};

// --- rendering ---------------------------------------------------------------

let timer;
let inflight;
let objectURL;
let current = { getURL: "" };

function schedule() {
  clearTimeout(timer);
  timer = setTimeout(render, 400);
}

// render draws the editor's diagram; push records a history entry (type,
// format or example changes), typing only replaces the current one.
async function render(push = false) {
  clearTimeout(timer);
  const type = $("type").value;
  const format = $("format").value;
  const source = view.state.doc.toString();
  const encoded = await encode(source);
  const query = options();
  const getURL = `${api}/${type}/${format}/${encoded}${query}`;
  current = { type, format, source, encoded, query, getURL };
  if (location.hash !== `#${type}/${format}/${encoded}${query}`) {
    history[push === true ? "pushState" : "replaceState"](null, "", `#${type}/${format}/${encoded}${query}`);
  }
  $("download-svg").href = `${api}/${type}/svg/${encoded}${query}`;
  $("download-png").href = `${api}/${type}/png/${encoded}${query}`;
  inflight?.abort();
  inflight = new AbortController();
  const long = getURL.length > maxGetURL;
  try {
    const res = await fetch(long ? `${api}/${type}/${format}${query}` : getURL, {
      method: long ? "POST" : "GET",
      body: long ? source : undefined,
      headers: { Accept: "text/plain" },
      signal: inflight.signal,
    });
    if (!res.ok) {
      const line = Number(res.headers.get("X-Diagram-Error-Line") || 0);
      showError(res.headers.get("X-Diagram-Error") || (await res.text()), line);
      return;
    }
    const blob = await res.blob();
    if (objectURL) URL.revokeObjectURL(objectURL);
    objectURL = URL.createObjectURL(blob);
    $("preview").src = objectURL;
    $("preview").dataset.url = getURL;
    $("preview").hidden = false;
    delete $("preview").dataset.stale;
    showError("", 0);
  } catch (e) {
    if (e.name !== "AbortError") showError(`The API could not be reached: ${e.message}`, 0);
  }
}

function showError(message, line) {
  if (message && !$("preview").hidden) $("preview").dataset.stale = "true";
  $("error").hidden = !message;
  $("error").textContent = line > 0 ? `Line ${line}: ${message}` : message;
  view.dispatch({ effects: setErrorLine.of(message ? line : 0) });
}

// --- share, downloads --------------------------------------------------------

function absolute(url) {
  return new URL(url, location.href).href;
}

function fillShare(url) {
  $("share-url").value = url;
  $("share-md").value = `![diagram](${url})`;
  $("share-adoc").value = `image::${url}[diagram]`;
  $("share-html").value = `<img src="${url}" alt="diagram">`;
}

function showNotice(message) {
  $("notice").hidden = !message;
  $("notice").textContent = message;
}

const editorLink = (hash) => `${location.origin}${location.pathname}${hash}`;

$("share").onclick = () => {
  const url = absolute(current.getURL);
  fillShare(url);
  $("share-editor").value = editorLink(location.hash);
  $("share-copied").textContent = "";
  $("share-note").textContent = url.length > maxGetURL ? "This URL is long: save a short link for tools with URL limits." : "";
  $("share-dialog").showModal();
};
async function copy(id, what) {
  try {
    await navigator.clipboard.writeText($(id).value);
    $("share-copied").textContent = `Copied the ${what}.`;
  } catch {
    $(id).select();
    $("share-copied").textContent = `Press Ctrl+C to copy the ${what} (the browser refused the clipboard).`;
  }
}
$("share-copy").onclick = () => copy("share-url", "image URL");
$("share-copy-editor").onclick = () => copy("share-editor", "editor link");
$("share-save").onclick = async () => {
  const res = await fetch(`${api}/v1/diagrams`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ diagram_type: current.type, diagram_source: current.source }),
  });
  if (!res.ok) {
    $("share-copied").textContent = `The diagram could not be saved: ${res.headers.get("X-Diagram-Error") || res.status}`;
    return;
  }
  const saved = await res.json();
  const url = saved.urls?.[current.format] || saved.urls?.svg;
  if (url) fillShare(absolute(url));
  $("share-editor").value = editorLink(`#d/${saved.id}`);
};
$("download-source").onclick = () => {
  URL.revokeObjectURL($("download-source").href);
  $("download-source").href = URL.createObjectURL(new Blob([view.state.doc.toString()], { type: "text/plain" }));
};

// --- zoom and pan ------------------------------------------------------------

// A new diagram (a type, a link) is fitted to the pane; while the user
// zooms, edits keep the zoom.
let zoom = 1, panX = 0, panY = 0, drag = null, fitNext = true;
function applyZoom() {
  $("preview").style.transform = `translate(${panX}px, ${panY}px) scale(${zoom})`;
  $("zoom-reset").textContent = `${Math.round(zoom * 100)}%`;
}
function fit() {
  const img = $("preview");
  const box = $("viewport").getBoundingClientRect();
  if (!img.naturalWidth || !box.width) return;
  zoom = Math.min(1, (box.width - 16) / img.naturalWidth, (box.height - 16) / img.naturalHeight);
  panX = panY = 0;
  applyZoom();
}
$("preview").onload = () => {
  if (fitNext) fit();
  fitNext = false;
};
$("zoom-in").onclick = () => ((zoom = Math.min(zoom * 1.25, 8)), applyZoom());
$("zoom-out").onclick = () => ((zoom = Math.max(zoom / 1.25, 0.1)), applyZoom());
$("zoom-reset").onclick = () => ((zoom = 1), (panX = panY = 0), applyZoom());
$("zoom-fit").onclick = fit;
// The wheel scrolls; with Ctrl or Cmd it zooms.
$("viewport").addEventListener("wheel", (e) => {
  if (!e.ctrlKey && !e.metaKey) return;
  e.preventDefault();
  zoom = Math.min(Math.max(zoom * (e.deltaY < 0 ? 1.1 : 1 / 1.1), 0.1), 8);
  applyZoom();
}, { passive: false });
$("viewport").onpointerdown = (e) => (drag = { x: e.clientX - panX, y: e.clientY - panY });
window.onpointerup = () => (drag = null);
window.onpointermove = (e) => {
  if (drag) {
    panX = e.clientX - drag.x;
    panY = e.clientY - drag.y;
    applyZoom();
  }
};

// --- dark mode ---------------------------------------------------------------

const darkQuery = matchMedia("(prefers-color-scheme: dark)");
function applyDark(dark) {
  document.documentElement.classList.toggle("dark", dark);
  view.dispatch({ effects: theme.reconfigure(dark ? oneDark : []) });
}
function toggleDark() {
  const dark = !document.documentElement.classList.contains("dark");
  localStorage.setItem("theme", dark ? "dark" : "light");
  applyDark(dark);
}
$("theme").onclick = toggleDark;
darkQuery.onchange = () => !localStorage.getItem("theme") && applyDark(darkQuery.matches);
applyDark(localStorage.getItem("theme") ? localStorage.getItem("theme") === "dark" : darkQuery.matches);

// --- start: from the URL, or an example ---------------------------------------

async function load() {
  const state = await readHash();
  if (state && !state.type && state.source == null && view.state.doc.length) {
    showNotice(state.problem); // a link with nothing to show: keep what the editor has
    return;
  }
  const type = state?.type || (types.some((t) => t.name === "graphviz") ? "graphviz" : types[0].name);
  setType(type, state?.format, state?.options);
  if (state?.source != null) setSource(state.source);
  else if (!state?.problem || !view.state.doc.length) setSource(state?.problem ? "" : examples[type] || "");
  showNotice(state?.problem || "");
  render();
}
window.addEventListener("popstate", load);
window.addEventListener("hashchange", load);
load();
