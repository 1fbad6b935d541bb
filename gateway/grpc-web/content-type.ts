/**
 * The gRPC-Web request content types (grpc/grpc doc/PROTOCOL-WEB.md):
 * application/grpc-web[+proto] carries binary frames,
 * application/grpc-web-text[+proto] the same frames in base64.
 * Other message codecs (+json) are not offered.
 */
export interface GrpcWebContentType {
  /** base64 ("text") framing in both directions. */
  readonly text: boolean;
  /** The content type the response is sent with. */
  readonly response: string;
}

const BINARY: GrpcWebContentType = { text: false, response: 'application/grpc-web+proto' };
const TEXT: GrpcWebContentType = { text: true, response: 'application/grpc-web-text+proto' };

/** Whether a content type claims to be gRPC-Web at all (supported or not). */
export function isGrpcWebContentType(contentType: string | undefined): boolean {
  return contentType !== undefined && /^application\/grpc-web(-text)?([+;\s]|$)/i.test(contentType);
}

/** The gRPC-Web flavour of a request, or undefined for a codec not offered (e.g. +json). */
export function grpcWebContentTypeParse(contentType: string | undefined): GrpcWebContentType | undefined {
  const base = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  switch (base) {
    case 'application/grpc-web':
    case 'application/grpc-web+proto':
      return BINARY;
    case 'application/grpc-web-text':
    case 'application/grpc-web-text+proto':
      return TEXT;
    default:
      return undefined;
  }
}
