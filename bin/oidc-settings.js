#!/usr/bin/env node
// The oidc-settings command (package.json "bin"): runs the built command
// line, dist/src/cli/main.js. It is not built here, so that a call starts at
// once; after a change to src/, run `npm run build`.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const main = path.join(__dirname, '..', 'dist', 'src', 'cli', 'main.js');
if (!fs.existsSync(main)) {
  process.stderr.write(`oidc-settings: ${path.relative(process.cwd(), main) || main} is missing: run \`npm run build\` first\n`);
  process.exit(1);
}
require(main);
