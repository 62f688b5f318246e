/**
 * The subset of the configuration a worker's request handlers read. Kept as one object that a
 * reload (SIGHUP) swaps whole, so a request never sees half an old and half a new config.
 */
export interface HandlerSettings {
  announceInterval: number;
  announceJitter: number;
  numwantLimit: number;
  delReasonLifetime: number;
  keepaliveTimeout: number;
  maxRequestSize: number;
  allowPrivatePeers: boolean;
  allowClientIp: boolean;
  trustedProxies: string[];
  sitePassword: string;
  reportPassword: string;
}
