/**
 * GET /<site_password>/update?action=… (ocelot-behaviour §8, gazellepw-integration §1). Every
 * action, known or not, answers `success` once applied. The outcome goes to the log, with
 * user ids but never passkeys.
 */
import { lastValue, parseInt32, parseInt64, type Query } from '@oncilla/protocol';
import { freeTypeOf, type SiteControl } from '@oncilla/swarm-store';

export interface UpdateLog {
  info(msg: string): void;
}

/** The site's info_hash and peer ids arrive percent-decoded by the query parser (latin1). */
const bytes = (v: string | undefined): Buffer => Buffer.from(v ?? '', 'latin1');

function chunks(s: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < s.length; i += size) out.push(s.slice(i, i + size));
  return out;
}

export async function handleUpdate(control: SiteControl, q: Query, log: UpdateLog, now = () => Math.floor(Date.now() / 1000)): Promise<string> {
  const p = (k: string): string | undefined => lastValue(q, k);
  const action = p('action') ?? '';
  switch (action) {
    case 'add_torrent': {
      const added = await control.addTorrent(bytes(p('info_hash')), parseInt32(p('id')), freeTypeOf(p('freetorrent')));
      log.info(`${added ? 'Added' : 'Updated'} torrent ${parseInt32(p('id'))} (free type ${freeTypeOf(p('freetorrent'))})`);
      break;
    }
    case 'update_torrent': {
      const n = await control.setFreeType([bytes(p('info_hash'))], freeTypeOf(p('freetorrent')));
      log.info(n ? `Updated torrent free type to ${freeTypeOf(p('freetorrent'))}` : 'Failed to find torrent to update');
      break;
    }
    case 'update_torrents': {
      // concatenated 20-byte hashes; a short last chunk is still looked up (it will not match)
      const hashes = chunks(p('info_hashes') ?? '', 20).map((h) => bytes(h));
      const n = await control.setFreeType(hashes, freeTypeOf(p('freetorrent')));
      log.info(`Updated free type of ${n} of ${hashes.length} torrents`);
      break;
    }
    case 'delete_torrent': {
      const raw = p('reason');
      const reason = raw === undefined ? -1 : parseInt32(raw);
      const id = await control.deleteTorrent(bytes(p('info_hash')), reason, now());
      log.info(id ? `Deleting torrent ${id} for the reason code ${reason}` : 'Failed to find torrent to delete');
      break;
    }
    case 'add_token':
    case 'remove_token': {
      const uid = parseInt32(p('userid'));
      const found = await control.setToken(bytes(p('info_hash')), uid, action === 'add_token');
      log.info(found ? `${action === 'add_token' ? 'Added' : 'Removed'} token for user ${uid}` : `Failed to find torrent for ${action} (user ${uid})`);
      break;
    }
    case 'add_user': {
      const id = parseInt32(p('id'));
      const added = await control.addUser(p('passkey') ?? '', id, p('visible') === '0');
      log.info(added ? `Added user ${id}` : `User ${id} already known: undeleted`);
      break;
    }
    case 'remove_user':
    case 'remove_users': {
      const keys = action === 'remove_user' ? [p('passkey') ?? ''] : chunks(p('passkeys') ?? '', 32);
      const n = await control.removeUsers(keys.filter((k) => k.length > 0), now());
      log.info(`Removed ${n} of ${keys.length} users`);
      break;
    }
    case 'update_user': {
      const canLeech = p('can_leech');
      const visible = p('visible');
      const found = await control.updateUser(
        p('passkey') ?? '',
        canLeech === undefined ? undefined : canLeech !== '0',
        visible === undefined ? undefined : visible === '0',
      );
      log.info(found ? `Updated user flags${canLeech !== undefined ? ` can_leech=${canLeech !== '0' ? 1 : 0}` : ''}${visible !== undefined ? ` visible=${visible}` : ''}` : 'Failed to find user to update');
      break;
    }
    case 'change_passkey': {
      const changed = await control.changePasskey(p('oldpasskey') ?? '', p('newpasskey') ?? '');
      log.info(changed ? 'Changed a passkey' : 'Passkey change ignored (unknown or unchanged)');
      break;
    }
    case 'add_whitelist':
      log.info(`Whitelist now has ${await control.editWhitelist(undefined, bytes(p('peer_id')))} entries`);
      break;
    case 'remove_whitelist':
      log.info(`Whitelist now has ${await control.editWhitelist(bytes(p('peer_id')), undefined)} entries`);
      break;
    case 'edit_whitelist':
      log.info(`Whitelist now has ${await control.editWhitelist(bytes(p('old_peer_id')), bytes(p('new_peer_id')))} entries`);
      break;
    case 'update_announce_interval': {
      const v = Math.max(0, parseInt64(p('new_announce_interval')));
      await control.setSetting('announce_interval', v);
      log.info(`Edited announce interval to ${v}`);
      break;
    }
    case 'update_announce_jitter': {
      const v = Math.max(0, parseInt64(p('new_announce_jitter')));
      await control.setSetting('announce_jitter', v);
      log.info(`Edited announce jitter to ${v}`);
      break;
    }
    case 'info_torrent': {
      const t = await control.torrentInfo(bytes(p('info_hash')));
      log.info(t ? `Info for torrent ${t.id}: free type ${t.free}` : 'Failed to find torrent for info');
      break;
    }
    default:
      log.info(`Unknown update action '${action.slice(0, 40)}'`);
  }
  return 'success';
}
