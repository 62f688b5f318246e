// @oncilla/protocol: pure BitTorrent-tracker protocol code (no I/O).

export { parseQuery, percentDecode, lastValue, allValues, type Query } from './query.js';
export { parseInt64, parseInt32, parsePort, clampNumwant } from './numbers.js';
export {
  parseAnnounce,
  checkPeerId,
  type AnnounceParams,
  type AnnounceHeaders,
  type AnnounceEvent,
} from './announce-request.js';
export { parseAnnounceQuery } from './announce-query.js';
export {
  GET_STRING_TOO_LONG,
  GET_STRING_TOO_SHORT,
  MALFORMED_ANNOUNCE,
  MALFORMED_HTTP_REQUEST,
  TRACKER_UNAVAILABLE,
  INVALID_ACTION,
  AUTHENTICATION_FAILURE,
  PASSKEY_NOT_FOUND,
  UNREGISTERED_TORRENT,
  COMPACT_NOT_SUPPORTED,
  NO_PEER_ID,
  INVALID_PEER_ID,
  CLIENT_NOT_WHITELISTED,
  INVALID_IP_DETECTED,
  LEECHING_FORBIDDEN,
  INVALID_PARAMETER,
  invalidParameterMessage,
  deletionReasonText,
  unregisteredTorrentMessage,
  type FailureReason,
} from './failure-reasons.js';
export {
  encodeFailure,
  encodeAnnounce,
  encodeAnnounceDict,
  encodeScrape,
  type AnnounceCounts,
  type AnnounceReply,
  type AnnounceDictReply,
  type DictPeer,
  type ScrapeFile,
} from './bencode.js';
export {
  parseIPv4,
  parseIPv6,
  parseIP,
  parseSocketAddress,
  isIPv4Mapped,
  formatIPv4,
  formatIPv6,
  formatIP,
  compactEndpoint,
} from './address.js';
export { parseCidr, parseCidrList, cidrMatches, cidrContains, type Cidr } from './cidr.js';
export {
  NON_PUBLIC_RANGES,
  nonPublicRangeOf,
  isPublicIPv4,
  isPublicIPv6,
  isPublicAddress,
  type SpecialRange,
} from './special-ranges.js';
export {
  resolvePeerAddresses,
  forwardedClientAddress,
  externalIp,
  type PeerAddressInput,
  type PeerAddresses,
} from './peer-addresses.js';
export {
  classifyPath,
  NOTHING_TO_SEE_HERE,
  KEY_LENGTH,
  type Route,
  type RouteAction,
} from './route.js';
export { parsePlainGet, couldBePlainGet, okResponseHead, MAX_HEAD_BYTES, type PlainGet, type AfterReply } from './http-head.js';
