import type { Logger } from '../log';
import type { Config } from './config';
import { fitConnectionCaps, openFileLimit } from './descriptor-budget';

type Port = 'grpc' | 'http';

/**
 * GRPC_MAX_CONNECTIONS and HTTP_MAX_CONNECTIONS as they can be kept under
 * this process's open-file limit, with a warning when they had to be lowered.
 */
export function connectionCaps(config: Config, logger: Logger, ports: readonly Port[] = ['grpc', 'http']): Record<Port, number> {
  const wanted = { grpc: config.grpcMaxConnections, http: config.httpMaxConnections };
  const limit = openFileLimit();
  const fitted = fitConnectionCaps(Object.fromEntries(ports.map((p) => [p, wanted[p]])) as Record<Port, number>, limit);
  if (fitted.lowered) {
    logger.warn(
      { openFileLimit: limit, ...Object.fromEntries(ports.map((p) => [`${p.toUpperCase()}_MAX_CONNECTIONS`, fitted.caps[p]])) },
      'connection caps lowered to fit the open-file limit (ulimit -n); raise the limit or lower the caps',
    );
  }
  return { ...wanted, ...fitted.caps };
}
