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
const types = (await fetch(api + "/v1/types").then((r) => r.json())).types.filter((t) => t.enabled);
const examples = Object.fromEntries(types.map((t) => [t.name, t.example]));

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

async function readHash() {
  const [type, format, encoded] = location.hash.slice(1).split("/");
  if (!types.some((t) => t.name === type)) return null;
  try {
    return { type, format, source: encoded ? await decode(encoded) : examples[type] || "" };
  } catch {
    return null;
  }
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

function fillFormats(type, wanted) {
  const t = types.find((x) => x.name === type);
  const formats = t.formats.filter((f) => previewable.includes(f));
  $("format").replaceChildren(...formats.map((f) => new Option(f, f)));
  $("format").value = formats.includes(wanted) ? wanted : formats.includes(t.preferred_format) ? t.preferred_format : formats[0];
  $("download-svg").hidden = !t.formats.includes("svg");
  $("download-png").hidden = !t.formats.includes("png");
}

function setSource(text) {
  view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
}

function setType(type, format) {
  $("type").value = type;
  fillFormats(type, format);
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
  const getURL = `${api}/${type}/${format}/${encoded}`;
  current = { type, format, source, encoded, getURL };
  if (location.hash !== `#${type}/${format}/${encoded}`) {
    history[push === true ? "pushState" : "replaceState"](null, "", `#${type}/${format}/${encoded}`);
  }
  $("download-svg").href = `${api}/${type}/svg/${encoded}`;
  $("download-png").href = `${api}/${type}/png/${encoded}`;
  inflight?.abort();
  inflight = new AbortController();
  const long = getURL.length > maxGetURL;
  try {
    const res = await fetch(long ? `${api}/${type}/${format}` : getURL, {
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
    showError("", 0);
  } catch (e) {
    if (e.name !== "AbortError") showError(`The API could not be reached: ${e.message}`, 0);
  }
}

function showError(message, line) {
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

$("share").onclick = () => {
  const url = absolute(current.getURL);
  fillShare(url);
  $("share-note").textContent = url.length > maxGetURL ? "This URL is long: save a short link for tools with URL limits." : "";
  $("share-dialog").showModal();
};
$("share-copy").onclick = () => navigator.clipboard?.writeText($("share-url").value).catch(() => {});
$("share-save").onclick = async () => {
  const res = await fetch(`${api}/v1/diagrams`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ diagram_type: current.type, diagram_source: current.source }),
  });
  const saved = await res.json();
  const url = saved.urls?.[current.format] || saved.urls?.svg;
  if (url) fillShare(absolute(url));
};
$("download-source").onclick = () => {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(new Blob([view.state.doc.toString()], { type: "text/plain" }));
  a.download = `diagram.${current.type || "txt"}`;
  a.click();
};

// --- zoom and pan ------------------------------------------------------------

let zoom = 1, panX = 0, panY = 0, drag = null;
function applyZoom() {
  $("preview").style.transform = `translate(${panX}px, ${panY}px) scale(${zoom})`;
  $("zoom-reset").textContent = `${Math.round(zoom * 100)}%`;
}
$("zoom-in").onclick = () => ((zoom = Math.min(zoom * 1.25, 8)), applyZoom());
$("zoom-out").onclick = () => ((zoom = Math.max(zoom / 1.25, 0.1)), applyZoom());
$("zoom-reset").onclick = () => ((zoom = 1), (panX = panY = 0), applyZoom());
$("viewport").addEventListener("wheel", (e) => {
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
  const type = state?.type || (types.some((t) => t.name === "graphviz") ? "graphviz" : types[0].name);
  setType(type, state?.format);
  setSource(state ? state.source : examples[type] || "");
  render();
}
window.addEventListener("popstate", load);
window.addEventListener("hashchange", load);
load();
