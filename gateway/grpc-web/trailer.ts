import { FLAG_TRAILER, frameSerialize } from './frame';

/**
 * The trailer frame's payload: HTTP/1-style header lines, lower-case keys,
 * each ending in CRLF (PROTOCOL-WEB.md). Values must already be valid header
 * values (grpc-message percent-encoded, -bin values base64).
 */
export function trailerSerialize(trailers: Readonly<Record<string, string>>): Buffer {
  let text = '';
  for (const [key, value] of Object.entries(trailers)) text += `${key.toLowerCase()}: ${value}\r\n`;
  return frameSerialize(FLAG_TRAILER, Buffer.from(text, 'latin1'));
}

/** Parses a trailer frame's payload (used by tests and by clients of the gateway). */
export function trailerParse(payload: Uint8Array): Record<string, string> {
  const trailers: Record<string, string> = {};
  for (const line of Buffer.from(payload).toString('latin1').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    trailers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return trailers;
}
