/**
 * `npm run bench:door`: the front door alone, reading its connections on libuv's handles and on
 * `net.Socket` (`direct_sockets`). A server process answers every GET with a fixed 120-byte
 * body (no Redis, no announce: what is measured is the door and Node's and the kernel's
 * per-connection work), driven by wrk `-t1 -c64` over new connections (`Connection: close`) and
 * kept ones; the server's CPU per request from /proc. `--rounds` alternates the two transports.
 * Writes `bench-door-results.json`.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createFrontDoor } from '@oncilla/tracker/front-door';
import { parseToolArgs } from './args.js';
import { cpuSeconds } from './proc-stats.js';

const TRANSPORTS = ['handle', 'socket'] as const;
type Transport = (typeof TRANSPORTS)[number];
const MODES = ['new', 'keepalive'] as const;

/** The server: a front door with a fixed answer; prints its port, ends with its stdin. */
async function serve(transport: Transport): Promise<void> {
  const body = Buffer.alloc(120, 0x78);
  const door = createFrontDoor({
    direct: transport === 'handle',
    http: http.createServer((_req, res) => res.end()),
    timeouts: () => ({ connectionTimeout: 10, keepaliveTimeout: 30 }),
    answer: () => body,
  });
  await new Promise<void>((resolve) => door.server.listen(0, '127.0.0.1', resolve));
  if (door.transport !== transport) throw new Error(`asked for ${transport}s, got ${door.transport}s (${door.fallback ?? ''})`);
  console.log(String((door.server.address() as AddressInfo).port));
  process.stdin.resume();
  process.stdin.on('end', () => void door.close().then(() => process.exit(0)));
}

interface Figure {
  round: number;
  mode: (typeof MODES)[number];
  transport: Transport;
  requests: number;
  perSecond: number;
  usPerRequest: number;
}

function startServer(transport: Transport): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--serve', transport], { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the ${transport} server exited (${code})`)));
    if (!child.stdout) return reject(new Error('no stdout'));
    createInterface({ input: child.stdout }).once('line', (line) => resolve({ child, port: Number(line) }));
  });
}

/** Requests wrk completed, from its summary line. */
function wrk(port: number, seconds: number, mode: (typeof MODES)[number]): number {
  const args = ['-t1', '-c64', `-d${seconds}`, ...(mode === 'new' ? ['-H', 'Connection: close'] : []), `http://127.0.0.1:${port}/`];
  const out = execFileSync('wrk', args, { encoding: 'utf8' });
  const m = /(\d+) requests in/.exec(out);
  if (!m) throw new Error(`wrk said: ${out}`);
  return Number(m[1]);
}

async function measure(round: number, mode: (typeof MODES)[number], transport: Transport, seconds: number): Promise<Figure> {
  const { child, port } = await startServer(transport);
  try {
    wrk(port, 2, mode); // warm-up: the JIT, the kernel's tables
    const pid = child.pid ?? 0;
    const before = cpuSeconds(pid);
    const requests = wrk(port, seconds, mode);
    const cpu = cpuSeconds(pid) - before;
    return { round, mode, transport, requests, perSecond: Math.round(requests / seconds), usPerRequest: Math.round((cpu * 1e6 * 10) / requests) / 10 };
  } finally {
    child.stdin?.end();
    await new Promise((resolve) => child.once('exit', resolve));
  }
}

async function main(): Promise<void> {
  const parsed = parseToolArgs(process.argv.slice(2), { seconds: 10, rounds: 2 }, {}, 'bench-door-results.json');
  const { seconds, rounds } = parsed.numbers;
  const figures: Figure[] = [];
  for (let round = 1; round <= rounds; round++) {
    for (const mode of MODES) {
      for (const transport of round % 2 === 1 ? TRANSPORTS : [...TRANSPORTS].reverse()) {
        const f = await measure(round, mode, transport, seconds);
        figures.push(f);
        console.log(`[bench:door] round ${round}, ${mode.padEnd(9)} ${transport.padEnd(6)} ${String(f.perSecond).padStart(7)} req/s  ${f.usPerRequest} µs of the server's CPU per request`);
      }
    }
  }
  writeFileSync(parsed.out, JSON.stringify({ date: new Date().toISOString(), cpu: cpus()[0]?.model, node: process.version, seconds, figures }, null, 2) + '\n');
  console.log(`[bench:door] wrote ${parsed.out}`);
}

const serveAt = process.argv.indexOf('--serve');
if (serveAt >= 0) await serve(process.argv[serveAt + 1] === 'socket' ? 'socket' : 'handle');
else await main();
