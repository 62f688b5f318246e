/**
 * Redis Cluster's key to slot mapping (CRC16-XMODEM of the hash tag, or of the whole key, mod
 * 16384), as CLUSTER KEYSLOT computes it. Pure: the announce channel routes by it, and the
 * cross-slot test checks every script's keys with it.
 */
export const CLUSTER_SLOTS = 16384;

const TABLE = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 8;
    for (let b = 0; b < 8; b++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff;
    t[i] = c;
  }
  return t;
})();

function crc16(bytes: Uint8Array, from: number, to: number): number {
  let crc = 0;
  for (let i = from; i < to; i++) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ bytes[i]) & 0xff];
  return crc;
}

/** The slot of a key: only the part inside the first non-empty `{...}` counts, when there is one. */
export function keySlot(key: string | Buffer): number {
  const b = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
  const open = b.indexOf(0x7b); // {
  if (open >= 0) {
    const close = b.indexOf(0x7d, open + 1); // }
    if (close > open + 1) return crc16(b, open + 1, close) % CLUSTER_SLOTS;
  }
  return crc16(b, 0, b.length) % CLUSTER_SLOTS;
}
