import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** gRPC code names, the label values Prometheus users know from grpc-go (grpc_code="OK"). */
const CODE_NAMES = [
  'OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS',
  'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE',
  'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED',
];

interface CallChildren {
  readonly calls: Counter.Internal;
  readonly latency: Histogram.Internal<'method' | 'protocol'>;
}

export const codeName = (code: number): string => CODE_NAMES[code] ?? String(code);

/**
 * The service's Prometheus metrics (prom-client): calls by method, protocol
 * and code, call latency, SQLite commit latency, events written, and the
 * process metrics prom-client collects by default.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly calls: Counter<'method' | 'protocol' | 'code'>;
  private readonly latency: Histogram<'method' | 'protocol'>;
  private readonly commitLatency: Histogram;
  private readonly batchSize: Histogram;
  private readonly events: Counter;
  private readonly conflicts: Counter;
  private readonly callChildren = new Map<string, Map<string, CallChildren[]>>();

  constructor(prefix = 'oidc_settings_') {
    collectDefaultMetrics({ register: this.registry });
    this.calls = new Counter({
      name: `${prefix}calls_total`,
      help: 'Calls answered, by method, protocol (grpc, grpc-web, grpc-web-text, connect, rest) and status code.',
      labelNames: ['method', 'protocol', 'code'],
      registers: [this.registry],
    });
    this.latency = new Histogram({
      name: `${prefix}call_duration_seconds`,
      help: 'Time from a call arriving to its answer, by method and protocol.',
      labelNames: ['method', 'protocol'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [this.registry],
    });
    this.commitLatency = new Histogram({
      name: `${prefix}store_commit_duration_seconds`,
      help: 'Time of one write transaction (a group commit of concurrent writes), fsync included, retries after a conflict too.',
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1],
      registers: [this.registry],
    });
    this.batchSize = new Histogram({
      name: `${prefix}store_commit_writes`,
      help: 'Writes sharing one transaction.',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000],
      registers: [this.registry],
    });
    this.conflicts = new Counter({
      name: `${prefix}store_commit_conflicts_total`,
      help: 'Commits refused because another replica appended first; their writes were decided again.',
      registers: [this.registry],
    });
    this.events = new Counter({
      name: `${prefix}events_written_total`,
      help: 'Events appended to the event log.',
      registers: [this.registry],
    });
  }

  callFinished(method: string, protocol: string, code: number, seconds: number): void {
    // The labelled children, looked up once per label set (finding them from
    // a labels object hashes it, sorted keys into a string), and without a
    // key string built per call.
    let byProtocol = this.callChildren.get(method);
    if (!byProtocol) {
      if (this.callChildren.size >= 1024) this.callChildren.clear();
      this.callChildren.set(method, (byProtocol = new Map<string, CallChildren[]>()));
    }
    let byCode = byProtocol.get(protocol);
    if (!byCode) byProtocol.set(protocol, (byCode = []));
    let children = byCode[code];
    if (!children) {
      children = { calls: this.calls.labels(method, protocol, codeName(code)), latency: this.latency.labels(method, protocol) };
      byCode[code] = children;
    }
    children.calls.inc();
    children.latency.observe(seconds);
  }

  conflicted(): void {
    this.conflicts.inc();
  }

  committed(seconds: number, writes: number, events: number): void {
    this.commitLatency.observe(seconds);
    this.batchSize.observe(writes);
    if (events > 0) this.events.inc(events);
  }
}
