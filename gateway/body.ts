import type { IncomingMessage } from 'node:http';
import { Codes, GatewayError } from './errors';

/**
 * Reads a request body, refusing it (413) as soon as it is known to exceed
 * the limit, from Content-Length or while streaming, so an oversized body is
 * never buffered whole.
 */
export function bodyRead(request: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(request.headers['content-length']);
  if (declared > limit) return Promise.reject(tooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        request.resume(); // drain what is left without keeping it
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onAbort = () => {
      cleanup();
      reject(new GatewayError(Codes.cancelled, 'the client closed the request'));
    };
    const cleanup = () => {
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('aborted', onAbort);
      request.off('error', onAbort);
    };
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('aborted', onAbort);
    request.on('error', onAbort);
  });
}

const tooLarge = (limit: number) =>
  new GatewayError(Codes.resourceExhausted, `request body larger than the limit of ${limit} bytes`, 413);
