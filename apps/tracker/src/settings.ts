import type { Config } from '@oncilla/config';
import type { HandlerSettings } from './http/settings.js';

export function handlerSettings(c: Config): HandlerSettings {
  return {
    announceInterval: c.announceInterval,
    announceJitter: c.announceJitter,
    numwantLimit: c.numwantLimit,
    delReasonLifetime: c.delReasonLifetime,
    keepaliveTimeout: c.keepaliveTimeout,
    maxRequestSize: c.maxRequestSize,
    allowPrivatePeers: c.allowPrivatePeers,
    allowClientIp: c.allowClientIp,
    trustedProxies: [...c.trustedProxies],
    sitePassword: c.sitePassword,
    reportPassword: c.reportPassword,
  };
}
