// Builds the editor into dist/: the bundled script and its styles under
// content-hashed names (served immutable), and the page naming them
// (served no-cache), so a deploy is never half old, half new.
import * as esbuild from "esbuild";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename } from "node:path";

rmSync("dist", { recursive: true, force: true });
mkdirSync("dist/assets", { recursive: true });
const result = await esbuild.build({
  entryPoints: ["src/app.js", "src/app.css"],
  bundle: true,
  minify: true,
  format: "esm",
  target: ["es2022"],
  outdir: "dist/assets",
  entryNames: "[name]-[hash]",
  legalComments: "none",
  metafile: true,
});
let page = readFileSync("src/index.html", "utf8");
for (const [out, meta] of Object.entries(result.metafile.outputs)) {
  if (meta.entryPoint) {
    const name = basename(meta.entryPoint);
    if (!page.includes(`assets/${name}"`)) {
      throw new Error(`src/index.html does not load assets/${name}`);
    }
    page = page.replace(`assets/${name}"`, `assets/${basename(out)}"`);
  }
}
writeFileSync("dist/index.html", page);
