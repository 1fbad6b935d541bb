/**
 * The README's TypeScript example, as another project would compile it:
 * a consumer folder that depends on this package by name (package.json
 * "exports", the built dist/ and its type declarations), type-checked with
 * tsc under moduleResolution node16.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.join(__dirname, '../..');
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

it("type-checks the README's client example in a consumer project", () => {
  const examples = [...README.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const example = examples.find((code) => code.includes("from 'oidc-settings-service/client'"));
  expect(example).toBeDefined();

  const consumer = fs.mkdtempSync(path.join(os.tmpdir(), 'client-consumer-'));
  const modules = path.join(consumer, 'node_modules');
  fs.mkdirSync(path.join(modules, '@improbable-eng'), { recursive: true });
  fs.symlinkSync(ROOT, path.join(modules, 'oidc-settings-service'), 'dir');
  fs.symlinkSync(path.join(ROOT, 'node_modules/@improbable-eng/grpc-web'), path.join(modules, '@improbable-eng/grpc-web'), 'dir');
  fs.writeFileSync(path.join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  fs.writeFileSync(
    path.join(consumer, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { module: 'node16', moduleResolution: 'node16', target: 'es2022', strict: true, noEmit: true, skipLibCheck: true, types: [] },
      files: ['index.ts'],
    }),
  );
  // The example's one free name: the token the reader has at hand.
  fs.writeFileSync(path.join(consumer, 'index.ts'), `declare const token: string;\n${example!}`);
  try {
    execFileSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', consumer], { encoding: 'utf8' });
  } catch (error) {
    // tsc prints its diagnostics on stdout.
    throw new Error(`the README's example does not compile:\n${(error as { stdout?: string }).stdout ?? String(error)}`);
  }
}, 60_000);
