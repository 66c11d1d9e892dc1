/** Where each named array sits in a packed buffer. */
export type PackIndex = Array<{ key: string; length: number }>;

/** Concatenates named float32 arrays into one buffer (for checkpoint files), with its index. */
export function packFloat(arrays: Iterable<[string, Float32Array]>): { index: PackIndex; bytes: Uint8Array } {
  const list = [...arrays];
  const all = new Float32Array(list.reduce((n, [, a]) => n + a.length, 0));
  let offset = 0;
  for (const [, a] of list) {
    all.set(a, offset);
    offset += a.length;
  }
  return { index: list.map(([key, a]) => ({ key, length: a.length })), bytes: new Uint8Array(all.buffer) };
}

/** The inverse of {@link packFloat}: fresh arrays by key. */
export function unpackFloat(index: PackIndex, bytes: Uint8Array): Map<string, Float32Array> {
  const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const out = new Map<string, Float32Array>();
  let offset = 0;
  for (const { key, length } of index) {
    out.set(key, all.slice(offset, offset + length));
    offset += length;
  }
  return out;
}
