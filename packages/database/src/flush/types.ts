import type {
  FreeTorrentRow,
  PeerRow,
  SnatchRow,
  TokenUseRow,
  TorrentStatsRow,
  UserDeltaRow,
  UserTorrentRow,
} from '@oncilla/rows';

/** The GazellePW table each kind of batch row is written to. */
export interface TableRows {
  users_main: UserDeltaRow;
  torrents: TorrentStatsRow;
  xbt_files_users: PeerRow;
  xbt_snatched: SnatchRow;
  users_freeleeches: TokenUseRow;
  users_freetorrents: FreeTorrentRow;
  users_torrents: UserTorrentRow;
}

export type FlushTable = keyof TableRows;

/**
 * A row that was not written: it refers to a user or torrent missing from the site's tables,
 * holds a value no column can take, or MySQL refused it. `part` is the part it belonged to.
 */
export type RejectedRow = { [T in FlushTable]: { table: T; part: string; row: TableRows[T]; reason: string } }[FlushTable];
