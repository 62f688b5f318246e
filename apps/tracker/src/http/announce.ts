import {
  checkPeerId,
  clampNumwant,
  encodeAnnounce,
  encodeAnnounceDict,
  encodeFailure,
  externalIp,
  formatIPv4,
  formatIPv6,
  parseAnnounce,
  resolvePeerAddresses,
  unregisteredTorrentMessage,
  type Cidr,
  type Query,
} from '@oncilla/protocol';
import { selectionPlan, type AnnounceOutcome, type PeerStore } from '@oncilla/swarm-store';
import { announceInterval } from './interval.js';
import type { HandlerSettings } from './settings.js';
import type { WorkerStats } from './stats.js';

/** xbt_files_users.useragent is varchar(51). */
const USER_AGENT_COLUMN = 51;

export interface ClientInfo {
  remoteAddress: string;
  xForwardedFor?: string;
  userAgent?: string;
}

export interface AnnounceDeps {
  store: PeerStore;
  settings: () => HandlerSettings;
  trustedProxies: () => Cidr[];
  stats: WorkerStats;
  now?: () => number;
}

/** One announce: parse and validate locally, one store round trip, encode the reply. */
export async function handleAnnounce(deps: AnnounceDeps, passkey: string, q: Query, client: ClientInfo): Promise<Buffer> {
  const s = deps.settings();
  deps.stats.announcements++;
  const params = parseAnnounce(q, { userAgent: client.userAgent });
  const peerIdError = checkPeerId(params.peerId);
  const addrs = resolvePeerAddresses({
    remoteAddress: client.remoteAddress,
    xForwardedFor: client.xForwardedFor,
    trustedProxies: deps.trustedProxies(),
    allowClientIp: s.allowClientIp,
    allowPrivate: s.allowPrivatePeers,
    // the user is known only inside the script, which blanks the texts for IP-protected users
    isProtected: false,
    ip: params.ip,
    ipv4: params.ipv4,
    ipv6: params.ipv6,
  });
  const addrError = typeof addrs === 'string' ? addrs : '';
  const a4 = typeof addrs === 'string' ? undefined : addrs.a4;
  const a6 = typeof addrs === 'string' ? undefined : addrs.a6;

  const outcome: AnnounceOutcome = await deps.store.announce({
    passkey,
    infoHash: params.infoHash,
    preError: peerIdError ?? '',
    postError: addrError,
    peerId: params.peerId ?? Buffer.alloc(0),
    event: params.event,
    left: params.left,
    uploaded: params.uploaded,
    downloaded: params.downloaded,
    corrupt: params.corrupt,
    port: params.port,
    ipv4: a4,
    ipv6: a6,
    numwant: clampNumwant(params.numwantRaw, s.numwantLimit),
    plan: selectionPlan(params.left > 0, a6 !== undefined),
    withPeerIds: !params.compact,
    ipText4: typeof addrs === 'string' ? '' : addrs.text4,
    ipText6: typeof addrs === 'string' ? '' : addrs.text6,
    userAgent: (params.userAgent ?? '').slice(0, USER_AGENT_COLUMN),
  });

  switch (outcome.kind) {
    case 'failure': {
      let reason = outcome.reason;
      if (outcome.deletion) {
        const now = deps.now?.() ?? Math.floor(Date.now() / 1000);
        const fresh = now - outcome.deletion.time < s.delReasonLifetime;
        reason = unregisteredTorrentMessage(fresh ? outcome.deletion.reason : undefined);
      }
      deps.stats.failure(reason);
      return encodeFailure(reason);
    }
    case 'forbidden':
      deps.stats.succAnnouncements++;
      deps.stats.failure(outcome.reason);
      return encodeFailure(outcome.reason);
    case 'ok':
    case 'ok-list': {
      deps.stats.succAnnouncements++;
      // the site may override the interval at run time (update_announce_interval / _jitter)
      const base = outcome.settings.announceInterval ?? s.announceInterval;
      const head = {
        complete: outcome.seeders,
        downloaded: outcome.snatched,
        incomplete: outcome.leechers,
        interval: announceInterval(base, outcome.seeders, outcome.settings.announceJitter ?? s.announceJitter),
        minInterval: base,
        externalIp: typeof addrs === 'string' ? undefined : externalIp(addrs),
      };
      if (outcome.kind === 'ok') return encodeAnnounce({ ...head, peers: outcome.peers, peers6: outcome.peers6 });
      return encodeAnnounceDict({
        ...head,
        noPeerId: params.noPeerId,
        peers: outcome.peers.map((p) => ({ ip: p.ip.length === 4 ? formatIPv4(p.ip) : formatIPv6(p.ip), port: p.port, peerId: p.peerId })),
      });
    }
  }
}
