import fs from 'node:fs';
import path from 'node:path';
import { fitConnectionCaps, openFileLimit } from '../../src/config/descriptor-budget';
import { tempDir } from '../helpers/server';

describe('fitConnectionCaps', () => {
  it.each([
    ['no limit known', { grpc: 256, http: 512 }, undefined, { grpc: 256, http: 512 }, false],
    ['room for both', { grpc: 256, http: 512 }, 20000, { grpc: 256, http: 512 }, false],
    ['exactly the budget', { grpc: 256, http: 512 }, 768 + 64, { grpc: 256, http: 512 }, false],
    ['512 descriptors: lowered in proportion', { grpc: 256, http: 512 }, 512, { grpc: 149, http: 298 }, true],
    ['the gateway alone', { http: 512 }, 256, { http: 192 }, true],
    ['a limit below the reserve still leaves one each', { grpc: 256, http: 512 }, 10, { grpc: 1, http: 1 }, true],
  ] as const)('%s', (_name, caps, limit, expected, lowered) => {
    expect(fitConnectionCaps<string>(caps as Record<string, number>, limit)).toEqual({ caps: expected, lowered });
  });
});

describe('openFileLimit', () => {
  it('reads the soft limit of this process', () => {
    expect(openFileLimit()).toBeGreaterThan(0);
  });

  it('reads a limits file, and knows nothing of an unlimited or missing one', () => {
    const dir = tempDir();
    const file = path.join(dir, 'limits');
    fs.writeFileSync(file, 'Limit                     Soft Limit           Hard Limit           Units\nMax open files            512                  4096                 files\n');
    expect(openFileLimit(file)).toBe(512);
    fs.writeFileSync(file, 'Max open files            unlimited            unlimited            files\n');
    expect(openFileLimit(file)).toBeUndefined();
    expect(openFileLimit(path.join(dir, 'absent'))).toBeUndefined();
  });
});
