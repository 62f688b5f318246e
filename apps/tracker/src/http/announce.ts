import {
  CLIENT_NOT_WHITELISTED,
  LEECHING_FORBIDDEN,
  PASSKEY_NOT_FOUND,
  TRACKER_UNAVAILABLE,
  checkPeerId,
  clampNumwant,
  encodeAnnounce,
  encodeAnnounceDict,
  encodeFailure,
  externalIp,
  formatIPv4,
  formatIPv6,
  resolvePeerAddresses,
  unregisteredTorrentMessage,
  type AnnounceParams,
  type Cidr,
} from '@oncilla/protocol';
import { selectionPlan, type PeerStore, type SiteLists } from '@oncilla/swarm-store';
import { announceInterval } from './interval.js';
import type { RefusedTransfer } from './refused-transfers.js';
import type { HandlerSettings } from './settings.js';
import type { WorkerStats } from './stats.js';

/** xbt_files_users.useragent is varchar(51). */
const USER_AGENT_COLUMN = 51;

export interface ClientInfo {
  remoteAddress: string;
  xForwardedFor?: string;
}

export interface AnnounceDeps {
  store: PeerStore;
  /** The worker's in-memory passkeys, whitelist and the site's runtime settings. */
  lists: Pick<SiteLists, 'user' | 'whitelisted' | 'settings'>;
  /** Whether the lists are known to be current (else: temporarily unavailable). */
  listsFresh: () => boolean;
  settings: () => HandlerSettings;
  trustedProxies: () => Cidr[];
  stats: WorkerStats;
  now?: () => number;
  /** An announce's transfer was too big to credit (a cheat signal): already counted, to be logged. */
  onRefusedTransfer?: (r: RefusedTransfer) => void;
}

/**
 * One announce: the passkey and the worker's own checks from memory, then one store round
 * trip, then the reply. Failures keep Ocelot's order: passkey, torrent, peer id, whitelist,
 * address; the torrent is found in the store, so the worker's failure travels with the call.
 */
export async function handleAnnounce(deps: AnnounceDeps, passkey: string, params: AnnounceParams, client: ClientInfo): Promise<Buffer> {
  const s = deps.settings();
  const stats = deps.stats;
  stats.announcements++;
  const fail = (reason: string): Buffer => {
    stats.failure(reason);
    return encodeFailure(reason);
  };
  if (!deps.listsFresh()) return fail(TRACKER_UNAVAILABLE);
  const user = deps.lists.user(passkey);
  if (!user) return fail(PASSKEY_NOT_FOUND);

  const addrs = resolvePeerAddresses({
    remoteAddress: client.remoteAddress,
    xForwardedFor: client.xForwardedFor,
    trustedProxies: deps.trustedProxies(),
    allowClientIp: s.allowClientIp,
    allowPrivate: s.allowPrivatePeers,
    isProtected: user.isProtected,
    ip: params.ip,
    ipv4: params.ipv4,
    ipv6: params.ipv6,
  });
  const peerIdError = checkPeerId(params.peerId);
  const peerId = params.peerId ?? Buffer.alloc(0);
  const error = peerIdError ?? (!deps.lists.whitelisted(peerId) ? CLIENT_NOT_WHITELISTED : typeof addrs === 'string' ? addrs : '');
  const a4 = typeof addrs === 'string' ? undefined : addrs.a4;
  const a6 = typeof addrs === 'string' ? undefined : addrs.a6;

  const outcome = await deps.store.announce({
    infoHash: params.infoHash,
    user,
    error,
    peerId,
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
    userAgent: (params.userAgent ?? '').slice(0, USER_AGENT_COLUMN),
  });

  switch (outcome.kind) {
    case 'unregistered': {
      const now = deps.now?.() ?? Math.floor(Date.now() / 1000);
      const d = outcome.deletion;
      return fail(unregisteredTorrentMessage(d && now - d.time < s.delReasonLifetime ? d.reason : undefined));
    }
    case 'failure':
      return fail(outcome.reason);
    case 'unavailable':
      return fail(TRACKER_UNAVAILABLE);
    case 'forbidden':
      stats.succAnnouncements++;
      return fail(LEECHING_FORBIDDEN);
    case 'ok':
    case 'ok-list': {
      stats.succAnnouncements++;
      if (outcome.refusedTransfer) {
        stats.refusedTransfers++;
        deps.onRefusedTransfer?.({ uid: user.uid, infoHash: params.infoHash, uploaded: params.uploaded, downloaded: params.downloaded });
      }
      if (outcome.stale) stats.staleAnnounces++;
      // the site may override the interval at run time (update_announce_interval / _jitter)
      const override = deps.lists.settings;
      const base = override.announceInterval ?? s.announceInterval;
      const head = {
        complete: outcome.seeders,
        downloaded: outcome.snatched,
        incomplete: outcome.leechers,
        interval: announceInterval(base, outcome.seeders, override.announceJitter ?? s.announceJitter),
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
