/**
 * Rewrites BENCHMARKS.md from bench/out/results.json without measuring
 * again (profiles are summarised afresh from bench/out/profiles when there).
 *
 * node dist/bench/render.js
 */
import fs from 'node:fs';
import path from 'node:path';
import { type BenchResults, reportMarkdown } from './lib/report';
import { PATHS } from './lib/settings';
import { summariseProfile } from './profile-summary';

const results = JSON.parse(fs.readFileSync(PATHS.results, 'utf8')) as BenchResults;
const profiles = results.profiles.map((p) => {
  const file = path.join(PATHS.root, p.file);
  return fs.existsSync(file) ? { ...p, summary: summariseProfile(file, 15) } : p;
});
fs.writeFileSync(PATHS.report, reportMarkdown({ ...results, profiles }));
process.stdout.write(`wrote ${path.relative(PATHS.root, PATHS.report)} from ${path.relative(PATHS.root, PATHS.results)}\n`);
