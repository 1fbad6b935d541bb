/**
 * Binary gRPC metadata (a "-bin" header) is base64 that senders may leave
 * unpadded (gRPC PROTOCOL-HTTP2: "implementations MUST accept padded and
 * unpadded values"), and some write the URL-safe alphabet; atob wants
 * neither. Undefined when the text is not base64 at all.
 */
export function base64Decode(text: string): Uint8Array | undefined {
  const standard = text.replace(/\s+/g, '').replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
  if (!/^[A-Za-z0-9+/]*$/.test(standard) || standard.length % 4 === 1) return undefined;
  const binary = atob(standard.padEnd(Math.ceil(standard.length / 4) * 4, '='));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}
