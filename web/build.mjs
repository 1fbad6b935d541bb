// Bundles the settings page into web/dist/ (npm run build:web):
//   web/dist/index.html            from web/index.html, naming the bundles
//   web/dist/assets/app-<hash>.js  and .css, content-hashed, so the gateway
//                                  can let browsers cache them for good
//   web/dist/assets/favicon-<hash>.svg  the icon index.html links, the same
//   web/dist/favicon.svg           and under a fixed name, which the gateway
//                                  answers /favicon.ico with
// Run from anywhere; paths are relative to this file.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.join(here, 'dist');
const assets = path.join(out, 'assets');

fs.rmSync(out, { recursive: true, force: true });
const result = await esbuild.build({
  entryPoints: { app: path.join(here, 'src/main.ts'), favicon: path.join(here, 'favicon.svg') },
  loader: { '.svg': 'copy' },
  outdir: assets,
  entryNames: '[name]-[hash]',
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022'],
  minify: true,
  sourcemap: 'linked',
  metafile: true,
  logLevel: 'warning',
});

// The hashed names the entries and the CSS the app imports became, for the template's {{app.js}}, {{app.css}} and {{favicon.svg}}.
const outputs = Object.entries(result.metafile.outputs);
const outputOf = (entryPoint) => outputs.find(([, output]) => output.entryPoint?.endsWith(entryPoint));
const [appFile, app] = outputOf('src/main.ts');
const [faviconFile] = outputOf('favicon.svg');
const names = new Map([
  ['app.js', path.basename(appFile)],
  ['app.css', path.basename(app.cssBundle)],
  ['favicon.svg', path.basename(faviconFile)],
]);
fs.copyFileSync(path.join(here, 'favicon.svg'), path.join(out, 'favicon.svg'));

const template = fs.readFileSync(path.join(here, 'index.html'), 'utf8');
const html = template.replace(/\{\{([\w.]+)\}\}/g, (_, name) => {
  const file = names.get(name);
  if (!file) throw new Error(`web/index.html names ${name}, which the build did not produce`);
  return file;
});
fs.writeFileSync(path.join(out, 'index.html'), html);
