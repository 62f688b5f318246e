// The failure reasons Ocelot sends, byte for byte: the site and
// users' clients show these strings, so they must not drift.

export const GET_STRING_TOO_LONG = 'GET string too long';
export const GET_STRING_TOO_SHORT = 'GET string too short';
export const MALFORMED_ANNOUNCE = 'Malformed announce';
export const MALFORMED_HTTP_REQUEST = 'Malformed HTTP request';
export const TRACKER_UNAVAILABLE = 'The tracker is temporarily unavailable.';
export const INVALID_ACTION = 'Invalid action';
export const AUTHENTICATION_FAILURE = 'Authentication failure';
export const PASSKEY_NOT_FOUND = 'Passkey not found';
export const UNREGISTERED_TORRENT = 'Unregistered torrent';
export const COMPACT_NOT_SUPPORTED = 'Your client does not support compact announces';
export const NO_PEER_ID = 'No peer ID';
export const INVALID_PEER_ID = 'Invalid peer ID';
export const CLIENT_NOT_WHITELISTED = 'Your client is not on the whitelist';
export const INVALID_IP_DETECTED = 'Invalid IP detected';
export const LEECHING_FORBIDDEN = 'Access denied, leeching forbidden';
/** Ours (Ocelot accepts anything): a site update whose parameter no action can use. */
export const INVALID_PARAMETER = 'Invalid parameter';

/** Every fixed reason string; `Unregistered torrent: <text>` is built by unregisteredTorrentMessage. */
export type FailureReason =
  | typeof GET_STRING_TOO_LONG
  | typeof GET_STRING_TOO_SHORT
  | typeof MALFORMED_ANNOUNCE
  | typeof MALFORMED_HTTP_REQUEST
  | typeof TRACKER_UNAVAILABLE
  | typeof INVALID_ACTION
  | typeof AUTHENTICATION_FAILURE
  | typeof PASSKEY_NOT_FOUND
  | typeof UNREGISTERED_TORRENT
  | typeof COMPACT_NOT_SUPPORTED
  | typeof NO_PEER_ID
  | typeof INVALID_PEER_ID
  | typeof CLIENT_NOT_WHITELISTED
  | typeof INVALID_IP_DETECTED
  | typeof LEECHING_FORBIDDEN
  | typeof INVALID_PARAMETER;

// Ocelot's deletion reasons (its `get_del_reason`): the What.CD music reasons, indexed by code.
const DELETION_REASONS: readonly string[] = [
  'Dupe',
  'Trump',
  'Bad File Names',
  'Bad Folder Names',
  'Bad Tags',
  'Disallowed Format',
  'Discs Missing',
  'Discography',
  'Edited Log',
  'Inaccurate Bitrate',
  'Low Bitrate',
  'Mutt Rip',
  'Disallowed Source',
  'Encode Errors',
  'Specifically Banned',
  'Tracks Missing',
  'Transcode',
  'Unapproved Cassette',
  'Unsplit Album',
  'User Compilation',
  'Wrong Format',
  'Wrong Media',
  'Audience Recording',
];

/** Text for a deletion-reason code; any other code gives `''`. */
export function deletionReasonText(code: number): string {
  return Number.isInteger(code) && code >= 0 && code < DELETION_REASONS.length ? DELETION_REASONS[code] : '';
}

/**
 * The failure for an unknown info_hash: plain `Unregistered torrent`
 * when no reason was recorded (undefined or the site's default −1), else
 * `Unregistered torrent: <text>`. An unknown code keeps the trailing space, as
 * Ocelot does.
 */
export function unregisteredTorrentMessage(code: number | undefined): string {
  if (code === undefined || code === -1) return UNREGISTERED_TORRENT;
  return `${UNREGISTERED_TORRENT}: ${deletionReasonText(code)}`;
}

/** `Invalid parameter: <name>`, for a site update refused before any change. */
export function invalidParameterMessage(name: string): string {
  return `${INVALID_PARAMETER}: ${name}`;
}
