import { ConfigError, helpText, loadConfig } from './config/config';
import { createLogger, flushAndExit } from './log';
import { startServer } from './server';
import { DatabaseOpenError } from './store/database';

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
  const logger = createLogger(config.logLevel);
  let server;
  try {
    server = await startServer(config, logger);
  } catch (error) {
    if (error instanceof DatabaseOpenError) {
      logger.fatal({ file: error.file, reason: error.reason }, error.message);
    } else {
      logger.fatal({ err: error }, 'start failed');
    }
    flushAndExit(logger, 1);
    return;
  }
  logger.flush(); // the start lines, at once: scripts wait for them
  const running = server;
  const onSignal = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'shutting down');
    running.stop().then(
      () => flushAndExit(logger, 0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        flushAndExit(logger, 1);
      },
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}

void main();
