/**
 * GET /<report_password>/report?get=…: Ocelot's text, line for line,
 * always ending in `success`; plus `get=stats&format=json`.
 */
import { lastValue, type Query } from '@oncilla/protocol';
import type { PeerCounts } from '@oncilla/swarm-store';
import type { ClusterStats } from './stats.js';

export interface ReportDeps {
  stats: () => ClusterStats;
  peerCounts: () => Promise<PeerCounts>;
  /** A user's seeding and leeching peers (undefined: unknown passkey). */
  userPeers: (passkey: string) => Promise<{ leeching: number; seeding: number } | undefined>;
}

const pad = (n: number): string => String(n).padStart(2, '0');

export function uptimeLine(seconds: number): string {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  return `Uptime: ${d} days, ${pad(h)}:${pad(m)}:${pad(seconds % 60)}`;
}

export function statsText(c: ClusterStats, peers: { seeders: number; leechers: number }, now: number): string {
  const t = c.totals;
  return [
    uptimeLine(Math.max(0, now - c.startedAt)),
    `${t.openedConnections} connections opened`,
    `${t.openConnections} open connections`,
    `${c.connectionRate} connections/s`,
    `${t.requests} requests handled`,
    `${c.requestRate} requests/s`,
    `${t.succAnnouncements} successful announcements`,
    `${t.announcements - t.succAnnouncements} failed announcements`,
    `${t.scrapes} scrapes`,
    `${peers.leechers} leechers tracked`,
    `${peers.seeders} seeders tracked`,
    `${t.bytesRead} bytes read`,
    `${t.bytesWritten} bytes written`,
    'success',
  ].join('\n');
}

export interface ReportReply {
  body: string;
  type: 'text/plain' | 'application/json';
}

export async function handleReport(deps: ReportDeps, q: Query, now = () => Math.floor(Date.now() / 1000)): Promise<ReportReply> {
  const stats = deps.stats;
  const get = lastValue(q, 'get') ?? '';
  if (get === 'stats') {
    const peers = await deps.peerCounts();
    if (lastValue(q, 'format') === 'json') {
      const c = stats();
      return { type: 'application/json', body: JSON.stringify({ uptimeSeconds: now() - c.startedAt, ...c.totals, requestRate: c.requestRate, connectionRate: c.connectionRate, ...peers, perWorker: c.perWorker, flush: c.flush }) };
    }
    return { type: 'text/plain', body: statsText(stats(), peers, now()) };
  }
  if (get === 'user') {
    const key = lastValue(q, 'key') ?? '';
    if (key === '') return { type: 'text/plain', body: 'Invalid action\nsuccess' };
    const u = await deps.userPeers(key);
    return { type: 'text/plain', body: u ? `${u.leeching} leeching\n${u.seeding} seeding\nsuccess` : 'success' };
  }
  return { type: 'text/plain', body: 'Invalid action\nsuccess' };
}
