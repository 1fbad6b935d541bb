/**
 * What Tokens remembers, against a repository that answers later (as
 * PostgreSQL does): a revocation is honoured within a second, also when a
 * lookup and a version reading cross, and nothing is trusted while the
 * version cannot be read.
 */
import { createHash } from 'node:crypto';
import { Tokens } from '../../src/app/tokens';
import type { TokenRecord, TokenRepository } from '../../src/store/port';

const SECRET = 'a'.repeat(43);
const HASH = createHash('sha256').update(SECRET).digest();

/** A repository whose answers the test releases, one by one. */
class SlowRepository implements TokenRepository {
  readonly recheckMs = 250;
  revokedAt: number | null = null;
  versionNow = 1;
  readonly pending: Array<() => void> = [];
  lookups = 0;
  versionReads = 0;

  add(): Promise<void> {
    return Promise.resolve();
  }
  list(): Promise<TokenRecord[]> {
    return Promise.resolve([]);
  }
  revoke(): Promise<boolean> {
    return Promise.resolve(true);
  }
  findByHash(hash: Buffer): Promise<TokenRecord | undefined> {
    this.lookups++;
    // What the database holds when the query runs: now.
    const record = hash.equals(HASH)
      ? { id: 't1', role: 'IAM_OWNER', description: '', createdAt: 0, expiresAt: null, revokedAt: this.revokedAt }
      : undefined;
    return new Promise((resolve) => this.pending.push(() => resolve(record)));
  }
  version(): Promise<number> {
    this.versionReads++;
    const version = this.versionNow;
    return new Promise((resolve) => this.pending.push(() => resolve(version)));
  }
  /** Lets every pending answer through, oldest first. */
  async release(): Promise<void> {
    for (const answer of this.pending.splice(0)) answer();
    await Promise.resolve();
    await Promise.resolve();
  }
}

describe('Tokens remembered against a slow repository', () => {
  let repo: SlowRepository;
  let tokens: Tokens;
  const authenticate = async () => {
    const answer = tokens.authenticate(`Bearer ${SECRET}`);
    if (answer instanceof Promise) {
      const settled = answer.then(
        (p) => p,
        (e: unknown) => e,
      );
      await repo.release();
      return settled;
    }
    return answer;
  };

  beforeEach(() => {
    jest.useFakeTimers({ now: 1_000_000 });
    repo = new SlowRepository();
    tokens = new Tokens(repo);
  });
  afterEach(() => jest.useRealTimers());

  it('answers from memory once confirmed, and forgets a token once a reading shows a change', async () => {
    expect(await authenticate()).toEqual({ tokenId: 't1', role: 'IAM_OWNER' });
    expect(tokens.authenticate(`Bearer ${SECRET}`)).toEqual({ tokenId: 't1', role: 'IAM_OWNER' }); // at once
    const lookups = repo.lookups;

    repo.revokedAt = 5;
    repo.versionNow = 2;
    jest.advanceTimersByTime(300);
    // This call starts a reading; until it answers, memory still serves (it was confirmed < 750 ms ago).
    expect(tokens.authenticate(`Bearer ${SECRET}`)).toEqual({ tokenId: 't1', role: 'IAM_OWNER' });
    await repo.release();
    await expect(authenticate()).resolves.toMatchObject({ code: 16 });
    expect(repo.lookups).toBe(lookups + 1);
  });

  it('does not remember a lookup that a newer reading may have overtaken', async () => {
    const other = (): void => {
      // An unknown token: its call only starts a reading (and a lookup that finds nothing).
      const answer = tokens.authenticate(`Bearer ${'b'.repeat(43)}`);
      if (answer instanceof Promise) answer.catch(() => undefined);
    };
    other();
    await repo.release();
    // A lookup starts while the token is valid...
    const lookup = tokens.authenticate(`Bearer ${SECRET}`) as Promise<unknown>;
    expect(lookup).toBeInstanceOf(Promise);
    const [answerLookup] = repo.pending.splice(0);
    // ...the token is revoked, and a reading that starts later answers first.
    repo.revokedAt = 7;
    repo.versionNow = 2;
    jest.advanceTimersByTime(300);
    other();
    await repo.release();
    answerLookup!();
    // That call began before the revocation, so it may pass; its answer is not remembered.
    await expect(lookup).resolves.toEqual({ tokenId: 't1', role: 'IAM_OWNER' });
    await expect(authenticate()).resolves.toMatchObject({ code: 16 });
  });

  it('trusts nothing it remembers when no reading has answered for 750 ms (a hung database)', async () => {
    expect(await authenticate()).toEqual({ tokenId: 't1', role: 'IAM_OWNER' });
    jest.advanceTimersByTime(300);
    void tokens.authenticate(`Bearer ${SECRET}`); // from memory; starts a reading that never answers
    repo.pending.splice(0);
    jest.advanceTimersByTime(800);
    repo.revokedAt = 9;
    const answer = tokens.authenticate(`Bearer ${SECRET}`);
    expect(answer).toBeInstanceOf(Promise); // asks the repository, does not answer from memory
    await repo.release();
    await expect(answer).rejects.toMatchObject({ code: 16 });
  });
});
