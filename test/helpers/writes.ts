import type { Decision } from '../../src/app/writer';
import type { FirstStart, SettingsState } from '../../src/store/port';

/** A first start that creates only the instance (no events, no settings) and a token nobody holds: for the writer's tests on a store. */
export const bareFirstStart = (instanceId: string): FirstStart => ({
  instanceId,
  createdAt: 1,
  events: [],
  settings: undefined,
  adminToken: { id: 't', hash: Buffer.alloc(32), role: 'IAM_OWNER', description: '', createdAt: 1, expiresAt: null },
  beforeCommit: () => undefined,
});

/** A write that appends one event carrying `payload`; it answers the event's sequence. */
export const appendEvent =
  (instanceId: string, payload: unknown) =>
  (state: SettingsState): Decision<number> => {
    const sequence = state.sequence + 1n;
    return {
      state: { sequence, settings: state.settings },
      result: Number(sequence),
      events: [{ instanceId, sequence, type: 'test', payload, actor: 'test', createdAt: 1 }],
    };
  };
