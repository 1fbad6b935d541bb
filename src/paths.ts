import fs from 'node:fs';
import path from 'node:path';

/** The folder holding package.json, whether running from src/ or dist/src/. */
function findProjectRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

export const PROJECT_ROOT = findProjectRoot(__dirname);

/** The version in package.json, for the OpenAPI document and logs. */
export const SERVICE_VERSION = (JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** The descriptor set `npm run generate` builds from proto/ (buf build, with comments). */
export const DESCRIPTOR_SET_PATH = path.join(PROJECT_ROOT, 'gen', 'descriptors.binpb');

/** grpc.health.v1 as buf builds it from grpc-health-check's proto, for reflection. */
export const HEALTH_DESCRIPTOR_SET_PATH = path.join(PROJECT_ROOT, 'gen', 'health.binpb');

/** The settings page as `npm run build:web` bundles it (web/build.mjs); the gateway serves it. */
export const WEB_DIST_PATH = path.join(PROJECT_ROOT, 'web', 'dist');
