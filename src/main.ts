import { ConfigError, helpText, loadConfig } from './config/config';
import { StartError } from './config/start-error';
import type * as LogModule from './log';
import type * as ServerModule from './server';
import type { RunningServer } from './server';
import { DataFolderError } from './store/file-modes';
import { DatabaseOpenError } from './store/port';
import { verifyEarly } from './store/sqlite/verify-early';
import { Signals } from './signals';

/** `npm start`: configuration, then the server, then wait for a signal. */
async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${helpText()}\n`);
    return;
  }
  let config;
  try {
    config = loadConfig(process.env, argv);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`configuration error: ${error.message}\n`);
    process.exit(2);
  }
  // The database's integrity check runs on its own thread while the
  // server's modules load (both take a few hundred ms on a large database).
  const verdict = config.databaseUrl === undefined ? verifyEarly(config.databaseFile) : undefined;
  // Loaded only now, so the check above runs meanwhile (a static import
  // would load them before main() starts); pino too, ~40 ms.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { createLogger, flushAndExit } = require('./log') as typeof LogModule;
  const { startServer } = require('./server') as typeof ServerModule;
  /* eslint-enable @typescript-eslint/no-require-imports */
  const logger = createLogger(config.logLevel);
  // Listen for signals before starting: one that arrives while the server
  // starts stops it as soon as it is up (without a drain: it was never ready).
  const signals = new Signals();
  const shutDown = (server: RunningServer, signal: NodeJS.Signals) => {
    logger.info({ signal }, 'shutting down');
    // The last resort: stop() ends within the grace period by design
    // (connections are destroyed at its end), then drains the writer and
    // closes the database; should anything still hang, the process goes.
    const backstopMs = config.shutdownGraceMs + 5000;
    setTimeout(() => {
      logger.error({ afterMs: backstopMs }, 'shutdown did not finish; exiting');
      flushAndExit(logger, 1);
    }, backstopMs).unref();
    server.stop().then(
      () => flushAndExit(logger, 0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        flushAndExit(logger, 1);
      },
    );
  };

  let server: RunningServer;
  try {
    server = await startServer(config, logger, { verdict });
  } catch (error) {
    // One line that says what to change; a stack only for what is a bug.
    if (error instanceof StartError) {
      logger.fatal({ setting: error.setting, ...error.fields }, error.message);
    } else if (error instanceof DatabaseOpenError) {
      logger.fatal({ file: error.file, reason: error.reason }, error.message);
    } else if (error instanceof DataFolderError) {
      logger.fatal({ setting: 'DATA_DIR', folder: error.folder }, error.message);
    } else {
      logger.fatal({ err: error }, 'start failed');
    }
    flushAndExit(logger, 1);
    return;
  }
  logger.flush(); // the start lines, at once: scripts wait for them
  void signals.untilStop(config.shutdownDrainMs, logger, () => server.drain()).then((signal) => shutDown(server, signal));
}

void main();
