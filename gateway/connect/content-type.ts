/**
 * The Connect unary content types (connectrpc.com/docs/protocol#unary-request):
 * application/proto and application/json (charset utf-8 allowed). The
 * streaming ones (application/connect+proto|json) are Connect too, but no
 * streaming method is offered.
 */
export type ConnectCodec = 'proto' | 'json';

/** Whether a content type is Connect's at all (unary or streaming, offered or not). */
export function isConnectContentType(contentType: string | undefined): boolean {
  return contentType !== undefined && /^application\/(connect\+)?(proto|json)\s*(;|$)/i.test(contentType);
}

/** The codec of a unary request, or undefined for a streaming or unknown type. */
export function connectContentTypeParse(contentType: string | undefined): ConnectCodec | undefined {
  const match = /^application\/(proto|json)\s*(?:;\s*charset=("?)utf-?8\2\s*)?$/i.exec(contentType ?? '');
  return match ? (match[1]!.toLowerCase() as ConnectCodec) : undefined;
}

/** The codec a GET names in its `encoding` parameter. */
export function connectEncodingParse(encoding: string | null): ConnectCodec | undefined {
  return encoding === 'proto' || encoding === 'json' ? encoding : undefined;
}

export const contentTypeOf = (codec: ConnectCodec): string => (codec === 'json' ? 'application/json' : 'application/proto');
