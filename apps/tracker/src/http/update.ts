/**
 * GET /<site_password>/update?action=… : the site's changes to the tracker's lists. Every
 * parameter of an action is checked first (parseUpdate, pure); only a valid action changes
 * anything, and then `success`. An unknown action is `success` too, as in Ocelot. The outcome
 * goes to the log with user ids, never passkeys.
 */
import { encodeFailure, invalidParameterMessage, lastValue, type Query } from '@oncilla/protocol';
import { freeTypeOf, type FreeType } from '@oncilla/rows';
import type { SiteControl } from '@oncilla/swarm-store';

export interface UpdateLog {
  info(msg: string): void;
  error?(obj: Record<string, unknown>, msg: string): void;
}

export type UpdateAction =
  | { action: 'add_torrent'; infoHash: Buffer; id: number; free: FreeType }
  | { action: 'update_torrents'; infoHashes: Buffer[]; free: FreeType }
  | { action: 'delete_torrent'; infoHash: Buffer; reason: number }
  | { action: 'add_token' | 'remove_token'; infoHash: Buffer; userId: number }
  | { action: 'add_user'; passkey: string; id: number; isProtected: boolean }
  | { action: 'remove_users'; passkeys: string[] }
  | { action: 'update_user'; passkey: string; canLeech?: boolean; isProtected?: boolean }
  | { action: 'change_passkey'; oldKey: string; newKey: string }
  | { action: 'edit_whitelist'; remove?: Buffer; add?: Buffer }
  | { action: 'update_announce_interval' | 'update_announce_jitter'; value: number }
  | { action: 'info_torrent'; infoHash: Buffer }
  | { action: 'unknown'; name: string };

export type ParsedUpdate = UpdateAction | { invalid: string };

const INT32_MAX = 2 ** 31 - 1;
/** Passkeys are 32 printable characters: the route can only ever match such keys. */
const PASSKEY = /^[\x21-\x7e]{32}$/;

class Invalid extends Error {}

/** The site's info_hash and peer ids arrive percent-decoded by the query parser (latin1). */
const bytes = (v: string): Buffer => Buffer.from(v, 'latin1');

function chunks(s: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < s.length; i += size) out.push(s.slice(i, i + size));
  return out;
}

/** Reads and checks every parameter of an update; `{ invalid }` names the first bad one. */
export function parseUpdate(q: Query): ParsedUpdate {
  const p = (k: string): string | undefined => lastValue(q, k);
  const need = (k: string): string => {
    const v = p(k);
    if (v === undefined) throw new Invalid(k);
    return v;
  };
  const infoHash = (k = 'info_hash'): Buffer => {
    const v = need(k);
    if (v.length !== 20) throw new Invalid(k);
    return bytes(v);
  };
  const id = (k: string): number => {
    const v = need(k);
    if (!/^\d{1,10}$/.test(v) || Number(v) < 1 || Number(v) > INT32_MAX) throw new Invalid(k);
    return Number(v);
  };
  const passkey = (k: string): string => {
    const v = need(k);
    if (!PASSKEY.test(v)) throw new Invalid(k);
    return v;
  };
  const flag = (k: string): boolean | undefined => {
    const v = p(k);
    if (v === undefined) return undefined;
    if (v !== '0' && v !== '1') throw new Invalid(k);
    return v === '1';
  };
  const count = (k: string): number => {
    const v = need(k);
    if (!/^\d{1,9}$/.test(v)) throw new Invalid(k);
    return Number(v);
  };
  const prefix = (k: string): Buffer => {
    const v = need(k);
    if (v.length > 20) throw new Invalid(k);
    return bytes(v);
  };
  const action = p('action') ?? '';
  try {
    switch (action) {
      case 'add_torrent':
        return { action, infoHash: infoHash(), id: id('id'), free: freeTypeOf(p('freetorrent')) };
      case 'update_torrent':
        return { action: 'update_torrents', infoHashes: [infoHash()], free: freeTypeOf(p('freetorrent')) };
      case 'update_torrents': {
        const all = need('info_hashes');
        if (all.length === 0 || all.length % 20 !== 0) throw new Invalid('info_hashes');
        return { action, infoHashes: chunks(all, 20).map(bytes), free: freeTypeOf(p('freetorrent')) };
      }
      case 'delete_torrent': {
        const raw = p('reason');
        if (raw !== undefined && !/^-?\d{1,9}$/.test(raw)) throw new Invalid('reason');
        return { action, infoHash: infoHash(), reason: raw === undefined ? -1 : Number(raw) };
      }
      case 'add_token':
      case 'remove_token':
        return { action, infoHash: infoHash(), userId: id('userid') };
      case 'add_user':
        return { action, passkey: passkey('passkey'), id: id('id'), isProtected: p('visible') === '0' };
      case 'remove_user':
        return { action: 'remove_users', passkeys: [passkey('passkey')] };
      case 'remove_users': {
        const all = need('passkeys');
        if (all.length === 0 || all.length % 32 !== 0) throw new Invalid('passkeys');
        const keys = chunks(all, 32);
        if (!keys.every((k) => PASSKEY.test(k))) throw new Invalid('passkeys');
        return { action, passkeys: keys };
      }
      case 'update_user': {
        const canLeech = flag('can_leech');
        const visible = flag('visible');
        return { action, passkey: passkey('passkey'), canLeech, isProtected: visible === undefined ? undefined : !visible };
      }
      case 'change_passkey':
        return { action, oldKey: passkey('oldpasskey'), newKey: passkey('newpasskey') };
      case 'add_whitelist':
        return { action: 'edit_whitelist', add: prefix('peer_id') };
      case 'remove_whitelist':
        return { action: 'edit_whitelist', remove: prefix('peer_id') };
      case 'edit_whitelist':
        return { action, remove: prefix('old_peer_id'), add: prefix('new_peer_id') };
      case 'update_announce_interval':
        return { action, value: count('new_announce_interval') };
      case 'update_announce_jitter':
        return { action, value: count('new_announce_jitter') };
      case 'info_torrent':
        return { action, infoHash: infoHash() };
      default:
        return { action: 'unknown', name: action };
    }
  } catch (err) {
    if (err instanceof Invalid) return { invalid: err.message };
    throw err;
  }
}

export interface UpdateContext {
  /** Waits (bounded) for the Redis connection the update goes through, if it is reconnecting. */
  connected?: () => Promise<void>;
  now: () => number;
  /** del_reason_lifetime: how long a deleted torrent's reason is kept. */
  reasonLifetime: () => number;
  /**
   * Waits until this worker's lists hold every change written so far (the feed's version), so
   * that the site's next request sees its change here at once; other workers follow within
   * their next read of the feed (well under a second).
   */
  settle?: (version: number) => Promise<unknown>;
}

/** Actions that change the lists workers keep in memory (the rest change Redis only). */
const IN_MEMORY = new Set<UpdateAction['action']>(['add_user', 'remove_users', 'update_user', 'change_passkey', 'edit_whitelist', 'update_announce_interval', 'update_announce_jitter']);

/**
 * Applies a checked action; returns `success` (the site reads the text after the last newline),
 * or a bencoded failure when a batch action was applied only in part.
 */
export async function applyUpdate(control: SiteControl, u: UpdateAction, log: UpdateLog, ctx: UpdateContext): Promise<string | Buffer> {
  switch (u.action) {
    case 'add_torrent': {
      const added = await control.addTorrent(u.infoHash, u.id, u.free);
      log.info(`${added ? 'Added' : 'Updated'} torrent ${u.id} (free type ${u.free})`);
      break;
    }
    case 'update_torrents': {
      const r = await control.setFreeType(u.infoHashes, u.free);
      const total = u.infoHashes.length;
      // nothing applied: the route's own error answer ("temporarily unavailable")
      if (r.error && r.failed === total) throw r.error;
      if (r.error) {
        log.error?.({ err: r.error.message, failed: r.failed, total }, `update_torrents applied in part: ${total - r.failed} of ${total} torrents done, ${r.failed} failed`);
        return encodeFailure(`Partly applied: ${total - r.failed} of ${total} torrents updated, ${r.failed} not (Redis error); send the action again`);
      }
      log.info(`Updated free type of ${r.changed} of ${total} torrents to ${u.free}`);
      break;
    }
    case 'delete_torrent': {
      const id = await control.deleteTorrent(u.infoHash, u.reason, ctx.now(), ctx.reasonLifetime());
      log.info(id ? `Deleting torrent ${id} for the reason code ${u.reason}` : 'Failed to find torrent to delete');
      break;
    }
    case 'add_token':
    case 'remove_token': {
      const found = await control.setToken(u.infoHash, u.userId, u.action === 'add_token');
      log.info(found ? `${u.action === 'add_token' ? 'Added' : 'Removed'} token for user ${u.userId}` : `Failed to find torrent for ${u.action} (user ${u.userId})`);
      break;
    }
    case 'add_user': {
      const added = await control.addUser(u.passkey, u.id, u.isProtected);
      log.info(added ? `Added user ${u.id}` : `User ${u.id} already known: undeleted`);
      break;
    }
    case 'remove_users': {
      const n = await control.removeUsers(u.passkeys, ctx.now());
      log.info(`Removed ${n} of ${u.passkeys.length} users`);
      break;
    }
    case 'update_user': {
      const found = await control.updateUser(u.passkey, u.canLeech, u.isProtected);
      const flags = `${u.canLeech !== undefined ? ` can_leech=${u.canLeech ? 1 : 0}` : ''}${u.isProtected !== undefined ? ` visible=${u.isProtected ? 0 : 1}` : ''}`;
      log.info(found ? `Updated user flags${flags}` : 'Failed to find user to update');
      break;
    }
    case 'change_passkey': {
      const changed = await control.changePasskey(u.oldKey, u.newKey);
      log.info(changed ? 'Changed a passkey' : 'Passkey change ignored (unknown or unchanged)');
      break;
    }
    case 'edit_whitelist':
      log.info(`Whitelist now has ${await control.editWhitelist(u.remove, u.add)} entries`);
      break;
    case 'update_announce_interval':
      await control.setSetting('announce_interval', u.value);
      log.info(`Edited announce interval to ${u.value}`);
      break;
    case 'update_announce_jitter':
      await control.setSetting('announce_jitter', u.value);
      log.info(`Edited announce jitter to ${u.value}`);
      break;
    case 'info_torrent': {
      const t = await control.torrentInfo(u.infoHash);
      log.info(t ? `Info for torrent ${t.id}: free type ${t.free}` : 'Failed to find torrent for info');
      break;
    }
    case 'unknown':
      log.info(`Unknown update action '${u.name.slice(0, 40).replace(/[^\x20-\x7e]/g, '?')}'`);
  }
  if (ctx.settle && IN_MEMORY.has(u.action)) await ctx.settle(await control.feedVersion());
  return 'success';
}

/** The update route: a refused parameter is a bencoded failure, and nothing changes. */
export async function handleUpdate(control: SiteControl, q: Query, log: UpdateLog, ctx: UpdateContext): Promise<string | Buffer> {
  const u = parseUpdate(q);
  if ('invalid' in u) {
    log.info(`Refused an update: invalid ${u.invalid}`);
    return encodeFailure(invalidParameterMessage(u.invalid));
  }
  await ctx.connected?.();
  return applyUpdate(control, u, log, ctx);
}
