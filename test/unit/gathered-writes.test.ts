import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GatheredWrites } from '../../src/log';

describe('GatheredWrites (the log destination)', () => {
  let file: string;
  let fd: number;
  beforeEach(() => {
    file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'gathered-')), 'out.log');
    fd = fs.openSync(file, 'w');
  });
  afterEach(() => fs.closeSync(fd));

  it('holds lines until minLength is reached, then writes them all, in order', () => {
    const out = new GatheredWrites(fd, 100);
    out.write('a'.repeat(40) + '\n');
    out.write('b'.repeat(40) + '\n');
    expect(fs.readFileSync(file, 'utf8')).toBe('');
    out.write('c'.repeat(40) + '\n');
    expect(fs.readFileSync(file, 'utf8')).toBe(`${'a'.repeat(40)}\n${'b'.repeat(40)}\n${'c'.repeat(40)}\n`);
  });

  it('flush writes out every gathered line, however many, and calls back', () => {
    const out = new GatheredWrites(fd, 4096);
    const lines = Array.from({ length: 500 }, (_, i) => `{"n":${i},"text":"☺ ${'x'.repeat(i % 50)}"}\n`);
    for (const line of lines) out.write(line);
    const done = jest.fn();
    out.flush(done);
    expect(done).toHaveBeenCalledWith();
    expect(fs.readFileSync(file, 'utf8')).toBe(lines.join(''));
  });

  it('a destination that fails drops its lines instead of throwing into the caller', () => {
    const out = new GatheredWrites(fd, 10);
    fs.closeSync(fd);
    expect(() => out.write('more than ten bytes\n')).not.toThrow();
    fd = fs.openSync(file, 'r');
  });
});
