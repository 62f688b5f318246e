/**
 * Transfers over the credit limits (max_credit_rate, max_announce_credit): counted
 * (oncilla_refused_transfers_total) and logged with the user and the torrent, at most one line per
 * REFUSED_LOG_EVERY_MS in each worker, so one broken or cheating client cannot flood the log.
 */
export const REFUSED_LOG_EVERY_MS = 10_000;

export interface RefusedTransferLog {
  warn(obj: Record<string, unknown>, msg: string): void;
}

export interface RefusedTransfer {
  uid: number;
  infoHash: Buffer;
  /** The counters the announce reported. */
  uploaded: number;
  downloaded: number;
}

export class RefusedTransfers {
  #loggedAt = -Infinity;
  #unlogged = 0;

  constructor(
    private readonly log: RefusedTransferLog,
    private readonly now: () => number = Date.now,
  ) {}

  record(r: RefusedTransfer): void {
    this.#unlogged++;
    const t = this.now();
    if (t - this.#loggedAt < REFUSED_LOG_EVERY_MS) return;
    const infoHash = r.infoHash.toString('hex');
    this.log.warn(
      { uid: r.uid, infoHash, uploaded: r.uploaded, downloaded: r.downloaded, refused: this.#unlogged },
      `transfer too big to credit, not credited: user ${r.uid}, torrent ${infoHash} (${this.#unlogged} since the last such line)`,
    );
    this.#loggedAt = t;
    this.#unlogged = 0;
  }
}
