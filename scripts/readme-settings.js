// Rewrites the README's configuration table from the configuration module
// (npm run docs). test/readme.test.ts fails when the two differ.
const fs = require('node:fs');
const path = require('node:path');
const { SETTINGS, flagOf } = require('../dist/src/config/config');

const file = path.join(__dirname, '..', 'README.md');
const readme = fs.readFileSync(file, 'utf8');
const programs = (s) => (s.programs.length === 2 ? 'both' : s.programs[0]);
const rows = Object.values(SETTINGS).map(
  (s) => `| \`${s.env}\` | \`${flagOf(s)}\` | ${s.default === '' ? '' : `\`${s.default}\``} | ${programs(s)} | ${s.description} |`,
);
const table = ['| Variable | Flag | Default | Used by | Meaning |', '|---|---|---|---|---|', ...rows].join('\n');
const updated = readme.replace(/(<!-- settings-table -->\n)[\s\S]*?(\n<!-- \/settings-table -->)/, `$1${table}$2`);
fs.writeFileSync(file, updated);
