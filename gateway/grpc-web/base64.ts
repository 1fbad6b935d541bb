/**
 * Text-mode bodies. A request is base64 with mandatory padding; it may be
 * several independently padded chunks one after the other, so it is decoded
 * in 4-character groups, each checked, rather than trusted to Buffer.from
 * (which skips invalid characters silently).
 */
const GROUP = /^[A-Za-z0-9+/]{2}(?:[A-Za-z0-9+/]{2}|[A-Za-z0-9+/]=|==)$/;

export class Base64Error extends Error {
  override readonly name = 'Base64Error';
}

export function base64Decode(text: string): Buffer {
  const clean = text.replace(/\s+/g, '');
  if (clean.length % 4 !== 0) {
    throw new Base64Error(`invalid base64: length ${clean.length} is not a multiple of 4 (padding is required)`);
  }
  const parts: Buffer[] = [];
  let runStart = 0;
  for (let i = 0; i < clean.length; i += 4) {
    const group = clean.slice(i, i + 4);
    if (!GROUP.test(group)) throw new Base64Error(`invalid base64 at character ${i}: ${JSON.stringify(group)}`);
    if (group.endsWith('=')) {
      parts.push(Buffer.from(clean.slice(runStart, i + 4), 'base64'));
      runStart = i + 4;
    }
  }
  if (runStart < clean.length) parts.push(Buffer.from(clean.slice(runStart), 'base64'));
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}
