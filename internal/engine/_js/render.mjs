// The local renderer's Node engines: one process per render, inside the
// sandbox of package sandbox (no network, read-only filesystem, capped).
//
//   node --experimental-wasm-modules render.mjs TYPE FORMAT < source > image
//
// A diagram the engine rejects exits 65 with the engine's message on
// stderr; a renderer fault exits 70. Nothing is ever fetched: Vega's
// loader refuses every URL and file.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';

const require = createRequire(import.meta.url);
const [type, format] = process.argv.slice(2);

class DiagramError extends Error {}

const vegaLoader = (vega, errors) => {
  const refuse = (uri) => {
    errors.push(`Loading data from "${uri}" is not allowed: inline the data in the specification.`);
    return Promise.reject(new DiagramError(errors[errors.length - 1]));
  };
  return { ...vega.loader(), load: refuse, sanitize: refuse, http: refuse, file: refuse };
};

// json5Error is a JSON5 parse error as "line L, column C: message".
const json5Error = (e) =>
  e.lineNumber ? `line ${e.lineNumber}, column ${e.columnNumber}: ${e.message.replace(/^JSON5: /, '').replace(/ at \d+:\d+$/, '')}` : e.message;

// json parses a JSON specification; on an error the JSON5 parser, which
// says where, words it.
const json = (src) => {
  try {
    return JSON.parse(src);
  } catch (e) {
    try {
      require('json5').parse(src);
    } catch (e5) {
      throw new DiagramError(json5Error(e5));
    }
    throw new DiagramError(e.message);
  }
};

// rejects runs f, a library's parse or render: what it throws is the
// diagram's fault.
const rejects = (f) => {
  try {
    return f();
  } catch (e) {
    throw e instanceof DiagramError ? e : new DiagramError(e.message);
  }
};

async function vegaSVG(spec) {
  const vega = await import('vega');
  const errors = [];
  const logger = vega.logger(vega.Error);
  logger.error = (...args) => {
    errors.push(args.map((a) => (a && a.message) || String(a)).join(' '));
    return logger;
  };
  let svg;
  try {
    svg = await new vega.View(vega.parse(spec), { renderer: 'none', loader: vegaLoader(vega, errors), logger }).toSVG();
  } catch (e) {
    throw new DiagramError(e.message);
  }
  if (errors.length) {
    throw new DiagramError(errors.join('\n'));
  }
  return svg;
}

const engines = {
  vega: (src) => vegaSVG(json(src)),
  vegalite: async (src) => {
    const vl = await import('vega-lite');
    return vegaSVG(rejects(() => vl.compile(json(src)).spec));
  },
  wavedrom: (src) => {
    const wavedrom = require('wavedrom');
    const json5 = require('json5');
    let wave;
    try {
      wave = json5.parse(src);
    } catch (e) {
      throw new DiagramError(json5Error(e));
    }
    return rejects(() => wavedrom.onml.stringify(wavedrom.renderAny(0, wave, wavedrom.waveSkin)));
  },
  nomnoml: (src) => rejects(() => require('nomnoml').renderSvg(src)),
  bytefield: (src) => rejects(() => require('bytefield-svg')(src, { embedded: false })),
  dbml: (src) => rejects(() => require('@softwaretechnik/dbml-renderer').run(src, 'svg')),
  svgbob: async (src) => {
    const svgbob = await import('svgbob-wasm/svgbob_wasm.js');
    return rejects(() => svgbob.render(src));
  },
  pikchr: async (src) => {
    const pikchr = (await import('pikchr-wasm')).default;
    await pikchr.loadWASM();
    const svg = rejects(() => pikchr.render(src));
    if (!svg.startsWith('<svg')) {
      // Pikchr answers an error with the source, each line numbered
      // "/*    N */", a caret under the fault, and "ERROR: …".
      const text = svg.replace(/<[^>]+>/g, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
      const lines = [...text.matchAll(/\/\*\s*(\d+)\s*\*\//g)];
      const error = (text.match(/ERROR: .*/) || ['ERROR: pikchr could not draw this diagram'])[0];
      throw new DiagramError(lines.length ? `line ${lines[lines.length - 1][1]}: ${error}` : error);
    }
    return svg;
  },
};

function png(svg) {
  const { Resvg } = require('@resvg/resvg-js');
  return new Resvg(svg, { font: { loadSystemFonts: true }, background: 'white' }).render().asPng();
}

async function main() {
  const render = engines[type];
  if (!render || (format !== 'svg' && format !== 'png')) {
    process.stderr.write(`usage: render.mjs {${Object.keys(engines).join('|')}} {svg|png}\n`);
    process.exit(64);
  }
  const svg = await render(readFileSync(0, 'utf8'));
  process.stdout.write(format === 'png' ? png(svg) : svg);
}

main().catch((e) => {
  process.stderr.write(String(e && e.message ? e.message : e) + '\n');
  process.exit(e instanceof DiagramError ? 65 : 70);
});
