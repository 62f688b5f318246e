/**
 * The site's side of the update/report API, as GazellePW's classes/tracker.class.php does it:
 * a raw TCP socket, an HTTP/1.1 request with Connection: Close, read until EOF, and success
 * means the text after the last "\n" is exactly "success".
 */
import net from 'node:net';

export interface SiteReply {
  raw: string;
  head: string;
  body: string;
  /** The text after the last \n of the whole response. */
  last: string;
}

export function siteRequest(port: number, path: string, host = '127.0.0.1'): Promise<SiteReply> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port }, () => {
      // the exact bytes of tracker.class.php's send_request()
      s.write(`GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: Close\r\n\r\n`);
    });
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('error', reject);
    s.on('end', () => {
      const raw = Buffer.concat(chunks).toString('latin1');
      const split = raw.indexOf('\r\n\r\n');
      resolve({ raw, head: raw.slice(0, split), body: raw.slice(split + 4), last: raw.slice(raw.lastIndexOf('\n') + 1) });
    });
  });
}
