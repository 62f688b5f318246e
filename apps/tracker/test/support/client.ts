/** A small announce/scrape client for tests: exact %XX encoding, bencode decoding. */
import http from 'node:http';
import bencode from 'bencode';

export function pct(b: Buffer): string {
  let s = '';
  for (const byte of b) s += '%' + byte.toString(16).padStart(2, '0').toUpperCase();
  return s;
}

export type Params = Record<string, string | number | Buffer | undefined>;

export function query(params: Params): string {
  return Object.entries(params)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${Buffer.isBuffer(v) ? pct(v) : String(v)}`)
    .join('&');
}

export interface RawReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** GET with node:http (fetch would re-encode some bytes); localAddress picks the source IP. */
export function get(url: string, opts: { headers?: Record<string, string>; localAddress?: string } = {}): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: opts.headers, localAddress: opts.localAddress, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
  });
}

export type Decoded = Record<string, unknown>;

export function decode(body: Buffer): Decoded {
  return bencode.decode(body) as Decoded;
}

export function text(v: unknown): string {
  return Buffer.from(v as Uint8Array).toString('utf8');
}

export function bytes(v: unknown): Buffer {
  return Buffer.from(v as Uint8Array);
}

/** Splits a compact peer string into "a.b.c.d:port" / "[v6]:port" endpoints, sorted. */
export function compactPeers(v: unknown, size: 6 | 18): string[] {
  const b = v === undefined ? Buffer.alloc(0) : bytes(v);
  const out: string[] = [];
  for (let i = 0; i < b.length; i += size) {
    const e = b.subarray(i, i + size);
    const port = e.readUInt16BE(size - 2);
    if (size === 6) out.push(`${e[0]}.${e[1]}.${e[2]}.${e[3]}:${port}`);
    else out.push(`[${e.subarray(0, 16).toString('hex')}]:${port}`);
  }
  return out.sort();
}
