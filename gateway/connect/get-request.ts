import { Codes, GatewayError } from '../errors';
import { type ConnectCodec, connectEncodingParse } from './content-type';

/** A unary call sent as GET (connectrpc.com/docs/protocol#unary-get-request). */
export interface ConnectGetRequest {
  readonly codec: ConnectCodec;
  /** The message as sent: still compressed when `compression` says so. */
  readonly message: Uint8Array;
  readonly compression: string | undefined;
}

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/**
 * Reads `?connect=v1&encoding=json|proto&message=…[&base64=1][&compression=gzip]`.
 * `message` is percent-encoded bytes, or base64 (URL-safe; padding
 * optional) when base64=1; an absent message is the empty one.
 */
export function getRequestParse(query: string): ConnectGetRequest {
  const raw = new Map<string, string>();
  for (const pair of query.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = percentDecode(eq === -1 ? pair : pair.slice(0, eq)).toString('latin1');
    if (!raw.has(key)) raw.set(key, eq === -1 ? '' : pair.slice(eq + 1));
  }
  const text = (key: string) => (raw.has(key) ? percentDecode(raw.get(key)!).toString('utf8') : null);
  const version = text('connect');
  if (version !== null && version !== 'v1') {
    throw new GatewayError(Codes.invalidArgument, `connect=${JSON.stringify(version)} is not a protocol version offered: use connect=v1`);
  }
  const encoding = text('encoding');
  const codec = connectEncodingParse(encoding);
  if (!codec) {
    throw new GatewayError(Codes.invalidArgument, `encoding=${JSON.stringify(encoding)} is not a message codec offered: use encoding=json or encoding=proto`);
  }
  const value = raw.get('message') ?? '';
  let message: Uint8Array;
  if (text('base64') === '1') {
    const encoded = percentDecode(value).toString('latin1');
    if (!BASE64.test(encoded)) throw new GatewayError(Codes.invalidArgument, 'message is not base64 although base64=1');
    message = Buffer.from(encoded, 'base64url');
  } else {
    message = percentDecode(value);
  }
  return { codec, message, compression: text('compression') ?? undefined };
}

/** Query-string percent-decoding to bytes ("+" is a space), so binary messages survive. */
function percentDecode(value: string): Buffer {
  if (!/[%+]/.test(value)) return Buffer.from(value, 'latin1');
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x2b) {
      bytes.push(0x20);
    } else if (c === 0x25 && /^[0-9a-f]{2}$/i.test(value.slice(i + 1, i + 3))) {
      bytes.push(parseInt(value.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(c & 0xff);
    }
  }
  return Buffer.from(bytes);
}
