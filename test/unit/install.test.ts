/**
 * `npm install` on the Node the README promises prints no engine warning:
 * npm warns (EBADENGINE) for every installed package whose `engines.node`
 * the running Node does not satisfy, so every package in the lock file must
 * accept the oldest Node that package.json's own `engines` admits, and the
 * Node running the tests.
 */
import fs from 'node:fs';
import path from 'node:path';
import semver from 'semver';

const ROOT = path.join(__dirname, '../..');
const read = (file: string) => JSON.parse(fs.readFileSync(path.join(ROOT, file), 'utf8')) as Record<string, unknown>;

interface LockedPackage {
  readonly version?: string;
  /** An object; a few old packages have an array here, which npm ignores. */
  readonly engines?: { readonly node?: string } | readonly string[];
}

const ourRange = (read('package.json')['engines'] as { node: string }).node;
const oldest = semver.minVersion(ourRange)!.version;
const locked = Object.entries(read('package-lock.json')['packages'] as Record<string, LockedPackage>).filter(([name]) => name !== '');

const nodeRange = (p: LockedPackage): string | undefined => (p.engines && !Array.isArray(p.engines) ? (p.engines as { node?: string }).node : undefined);

const refusing = (node: string) =>
  locked
    .map(([name, p]) => ({ name: name.replace(/^.*node_modules\//, ''), version: p.version, range: nodeRange(p) }))
    .filter((p) => p.range !== undefined && !semver.satisfies(node, p.range, { includePrerelease: true }))
    .map((p) => `${p.name}@${p.version} wants node ${p.range}`);

it('package.json admits Node 20, as the README says', () => {
  expect(semver.major(oldest)).toBe(20);
  expect(semver.satisfies(process.version, ourRange)).toBe(true);
});

it.each([
  ['the oldest Node package.json admits', oldest],
  ['the Node running the tests', process.version],
])('every locked package accepts %s (%s)', (_, node) => {
  expect(refusing(node)).toEqual([]);
});

it('the lock file is the one package.json describes (npm ci would refuse otherwise)', () => {
  const pkg = read('package.json');
  const lockRoot = (read('package-lock.json')['packages'] as Record<string, Record<string, unknown>>)[''];
  expect(lockRoot?.['dependencies']).toEqual(pkg['dependencies']);
  expect(lockRoot?.['devDependencies']).toEqual(pkg['devDependencies']);
  expect(lockRoot?.['engines']).toEqual(pkg['engines']);
});
