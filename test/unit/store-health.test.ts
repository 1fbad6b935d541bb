import { StoreHealth } from '../../src/app/store-health';
import { AppError } from '../../src/domain/app-error';
import { Code } from '../../src/domain/code';
import { writeFaultCause } from '../../src/store/sqlite/write-fault';

const sqliteError = (code: string) => Object.assign(new Error('database or disk is full'), { code });

describe('StoreHealth', () => {
  const changes: boolean[] = [];
  let probes = 0;
  let probeSucceeds = false;
  let health: StoreHealth;
  beforeEach(() => {
    changes.length = 0;
    probes = 0;
    probeSucceeds = false;
    health = new StoreHealth({
      fault: (error) => {
        const cause = writeFaultCause(error, '/nonexistent/test.db');
        return cause === undefined ? undefined : { id: 'STORE-w7r1t3', message: `the database cannot be written: ${cause}` };
      },
      probeIntervalMs: 5,
      // As the writer would: a commit that succeeds or fails, and says so.
      probe: () => {
        probes++;
        if (probeSucceeds) health.committed();
        else health.failed(sqliteError('SQLITE_FULL'));
        return Promise.resolve();
      },
      onChange: (change) => changes.push(change.writable),
    });
  });
  afterEach(() => health.stop());

  it('turns a storage fault into UNAVAILABLE naming the cause, without the path, and reports the change once', () => {
    const error = health.failed(sqliteError('SQLITE_FULL'));
    expect(error).toBeInstanceOf(AppError);
    expect(error.code).toBe(Code.Unavailable);
    expect(error.message).toBe('the database cannot be written: the disk is full (STORE-w7r1t3)');
    health.failed(sqliteError('SQLITE_FULL'));
    expect(changes).toEqual([false]);
    expect(health.writable).toBe(false);
  });

  it('leaves other errors INTERNAL and readiness as it is', () => {
    expect(health.failed(new TypeError('a bug')).code).toBe(Code.Internal);
    expect(health.failed(sqliteError('SQLITE_CONSTRAINT_CHECK')).code).toBe(Code.Internal);
    expect(changes).toEqual([]);
    expect(health.writable).toBe(true);
  });

  it('probes while unwritable until a commit succeeds, then reports writable once and stops probing', async () => {
    health.failed(sqliteError('SQLITE_FULL'));
    for (let i = 0; i < 200 && probes < 3; i++) await new Promise((r) => setTimeout(r, 5));
    expect(probes).toBeGreaterThanOrEqual(3);
    probeSucceeds = true;
    for (let i = 0; i < 200 && health.writable === false; i++) await new Promise((r) => setTimeout(r, 5));
    expect(changes).toEqual([false, true]);
    const after = probes;
    await new Promise((r) => setTimeout(r, 30));
    expect(probes).toBe(after);
  });
});
