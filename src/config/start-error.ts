import fs from 'node:fs';
import { isIPv6 } from 'node:net';
import { errnoText, flagOf, SETTINGS } from './config';

/**
 * A start that cannot go on because of where it runs (a port in use, a
 * folder it cannot write), not a bad value: the message names the setting
 * and what to do, and is all that is logged (no stack: nothing here is a
 * bug). ConfigError, by contrast, is a value that is wrong in itself.
 */
export class StartError extends Error {
  override readonly name = 'StartError';
  constructor(
    /** The environment variable to look at, e.g. GRPC_PORT. */
    readonly setting: string,
    message: string,
    /** What a JSON log carries beside the message: the address, the errno code, the folder. */
    readonly fields: Readonly<Record<string, unknown>>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A host and port as a client writes them: [::1]:8080. */
export const hostPort = (host: string, port: number): string => `${isIPv6(host) ? `[${host}]` : host}:${port}`;

const named = (setting: { env: string; flag?: string }) => `${setting.env} (${flagOf(setting)})`;

/**
 * Why a listener could not be opened, as a StartError naming the setting
 * to change; anything else comes back as it was. `port` is the one asked
 * for (0: any free port).
 */
export function listenError(error: unknown, listener: 'grpc' | 'http', address: { host: string; port: number }): unknown {
  const [hostSetting, portSetting] = listener === 'grpc' ? [SETTINGS.grpcHost, SETTINGS.grpcPort] : [SETTINGS.httpHost, SETTINGS.httpPort];
  const code = (error as NodeJS.ErrnoException).code;
  const where = `cannot listen on ${hostPort(address.host, address.port)}`;
  const fail = (setting: { env: string }, text: string) =>
    new StartError(setting.env, `${where} (${setting.env}): ${text}`, { address: hostPort(address.host, address.port), code }, { cause: error });
  switch (code) {
    case 'EADDRINUSE':
      return fail(portSetting, `the port is in use; stop what uses it or set ${named(portSetting)}`);
    case 'EACCES':
      return address.port < 1024
        ? fail(portSetting, `permission denied: ports below 1024 need root or CAP_NET_BIND_SERVICE; set ${named(portSetting)} to 1024 or above`)
        : fail(portSetting, `permission denied; set ${named(portSetting)} to another port`);
    case 'EADDRNOTAVAIL':
      return fail(
        hostSetting,
        `${address.host} is not an address of this machine; set ${named(hostSetting)} to one of its addresses, or 0.0.0.0 for all`,
      );
    case 'EAFNOSUPPORT':
      return fail(hostSetting, `this machine has no IPv6; set ${named(hostSetting)} to an IPv4 address, or 0.0.0.0 for all`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
      return fail(
        hostSetting,
        `the host name ${address.host} does not resolve (${code}); set ${named(hostSetting)} to an address of this machine, or 0.0.0.0 for all`,
      );
  }
  // Certificates are checked with the configuration; should OpenSSL still
  // refuse them when the listener's TLS context is made, say which files.
  if (typeof code === 'string' && /^ERR_(OSSL|SSL|CRYPTO)/.test(code)) {
    return new StartError(
      SETTINGS.tlsCertFile.env,
      `${where}: ${named(SETTINGS.tlsCertFile)} and ${named(SETTINGS.tlsKeyFile)} cannot be used for TLS: ${(error as Error).message}`,
      { address: hostPort(address.host, address.port), code },
      { cause: error },
    );
  }
  return error;
}

/**
 * Why the data folder cannot be created (a missing parent the user may not
 * write, a file in its path, a read-only mount), as a StartError naming
 * DATA_DIR; anything else comes back as it was.
 */
export function dataFolderError(error: unknown, folder: string): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === undefined) return error;
  const todo =
    code === 'EACCES' || code === 'EPERM'
      ? `create it for the user the server runs as${uidText()}, or set ${named(SETTINGS.dataDir)} to a folder it may write`
      : code === 'EROFS'
        ? `mount it writable, or set ${named(SETTINGS.dataDir)} to a folder on a writable file system`
        : `set ${named(SETTINGS.dataDir)} to a folder path`;
  return new StartError(
    SETTINGS.dataDir.env,
    `cannot create the data folder ${folder} (${SETTINGS.dataDir.env}): ${errnoText(error)}; ${todo}`,
    { folder, code },
    { cause: error },
  );
}

/**
 * A data folder the server must create files in (the SQLite database and
 * admin.pat on a first start) but cannot write: said at once, rather than
 * as SQLite's "unable to open database file".
 */
export function checkDataFolderWritable(folder: string): void {
  try {
    fs.accessSync(folder, fs.constants.W_OK | fs.constants.X_OK);
  } catch (error) {
    throw new StartError(
      SETTINGS.dataDir.env,
      `cannot write to the data folder ${folder} (${SETTINGS.dataDir.env}): ${errnoText(error)}; let the user the server runs as${uidText()} write to it, or set ${named(SETTINGS.dataDir)}`,
      { folder, code: (error as NodeJS.ErrnoException).code },
      { cause: error },
    );
  }
}

const uidText = () => (process.getuid ? ` (uid ${process.getuid()})` : '');
