import http2 from 'node:http2';

export interface ProbeResult {
  readonly httpStatus: number;
  /** grpc-status from the trailers (or the headers, for a trailers-only answer); NaN if absent. */
  readonly grpcStatus: number;
  readonly grpcMessage: string;
  /** The response body: the framed messages. */
  readonly data: Buffer;
}

/**
 * One gRPC call with exactly the bytes and headers the load generator sends,
 * over Node's HTTP/2 client. h2load sees only HTTP statuses; this sees the
 * gRPC status, and the response size the bench then expects of every call.
 */
export function grpcProbe(port: number, path: string, frame: Buffer, headers: Record<string, string> = {}, timeoutMs = 5000): Promise<ProbeResult> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    const fail = (error: Error) => {
      session.destroy();
      reject(error);
    };
    session.once('error', fail);
    session.setTimeout(timeoutMs, () => fail(new Error(`gRPC probe of ${path} timed out`)));
    const stream = session.request({
      ':method': 'POST',
      ':path': path,
      'content-type': 'application/grpc',
      te: 'trailers',
      ...headers,
    });
    let status = 0;
    const fields: Record<string, string> = {};
    const take = (h: http2.IncomingHttpHeaders) => {
      for (const key of ['grpc-status', 'grpc-message']) {
        const value = h[key];
        if (typeof value === 'string') fields[key] = value;
      }
    };
    const chunks: Buffer[] = [];
    stream.on('response', (h) => {
      status = Number(h[':status']);
      take(h);
    });
    stream.on('trailers', take);
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.once('error', fail);
    stream.on('end', () => {
      session.close();
      resolve({
        httpStatus: status,
        grpcStatus: Number(fields['grpc-status'] ?? NaN),
        grpcMessage: decodeURIComponent(fields['grpc-message'] ?? ''),
        data: Buffer.concat(chunks),
      });
    });
    stream.end(frame);
  });
}

/** grpc.health.v1 Check: true when the overall status is SERVING (field 1 = 1). */
export async function healthServing(port: number, frame: Buffer): Promise<boolean> {
  try {
    const result = await grpcProbe(port, '/grpc.health.v1.Health/Check', frame, {}, 1000);
    return result.grpcStatus === 0 && result.data.subarray(5).equals(Buffer.from([0x08, 0x01]));
  } catch {
    return false;
  }
}
