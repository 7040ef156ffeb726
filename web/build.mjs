// Bundle the report's script and styles (OpenLayers included) into the Python package:
// src/landcover/report/static/report.js and report.css, minified, with OpenLayers' licence.
// Run through `make web` (npm ci, then this script); the output is committed, so installing
// the Python package needs no JavaScript tooling.
import {copyFileSync, readFileSync, statSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import * as esbuild from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', 'src', 'landcover', 'report', 'static');
const ol = JSON.parse(readFileSync(join(here, 'node_modules', 'ol', 'package.json'), 'utf8'));

await esbuild.build({
  entryPoints: {report: join(here, 'src', 'main.js')},
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2020'],
  outdir: out,
  legalComments: 'none',
  banner: {
    js: `/*! landcover report viewer; bundles OpenLayers ${ol.version} (BSD-2-Clause, see LICENSE-openlayers.txt) */`,
    css: `/*! landcover report styles; includes ol.css from OpenLayers ${ol.version} (BSD-2-Clause) */`,
  },
  logLevel: 'info',
});
copyFileSync(join(here, 'node_modules', 'ol', 'LICENSE.md'), join(out, 'LICENSE-openlayers.txt'));
for (const name of ['report.js', 'report.css']) {
  const kib = statSync(join(out, name)).size / 1024;
  console.log(`${name}: ${kib.toFixed(0)} KiB`);
}
