import { execFileSync } from 'node:child_process';
import path from 'node:path';

const ROOT = path.join(__dirname, '../..');

/**
 * Validates an OpenAPI document with @seriousme/openapi-schema-validator.
 * It is an ES module, which jest's CommonJS runtime cannot import: it runs
 * in a Node process of its own.
 */
export function validateOpenApi(document: unknown): { valid: boolean; errors?: unknown } {
  const script = [
    "import { Validator } from '@seriousme/openapi-schema-validator';",
    "let text = '';",
    'for await (const chunk of process.stdin) text += chunk;',
    'process.stdout.write(JSON.stringify(await new Validator().validate(JSON.parse(text))));',
  ].join('\n');
  const out = execFileSync(process.execPath, ['--input-type=module', '--eval', script], { cwd: ROOT, input: JSON.stringify(document) });
  return JSON.parse(out.toString()) as { valid: boolean; errors?: unknown };
}
