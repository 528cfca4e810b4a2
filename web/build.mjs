// Builds the editor into dist/: one bundled script, its styles and the page.
import * as esbuild from "esbuild";
import { cpSync, mkdirSync, rmSync } from "node:fs";

rmSync("dist", { recursive: true, force: true });
mkdirSync("dist/assets", { recursive: true });
await esbuild.build({
  entryPoints: ["src/app.js"],
  bundle: true,
  minify: true,
  format: "esm",
  target: ["es2022"],
  outfile: "dist/assets/app.js",
  legalComments: "none",
});
cpSync("src/index.html", "dist/index.html");
cpSync("src/app.css", "dist/assets/app.css");
