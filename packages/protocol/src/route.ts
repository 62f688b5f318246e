// Ocelot-compatible routing over a real HTTP parser's request target. Ocelot
// read fixed byte offsets and looked only at the action's first
// letter; here the path must be exactly `/<32-char key>/<action>` with a
// known action, while the replies for bad paths stay those of Ocelot.

import { INVALID_ACTION, MALFORMED_ANNOUNCE } from './failure-reasons.js';

export type RouteAction = 'announce' | 'scrape' | 'update' | 'report';

export type Route =
  | { kind: RouteAction; key: string; query: string }
  | { kind: 'nothing-to-see' }
  | { kind: 'failure'; reason: typeof MALFORMED_ANNOUNCE | typeof INVALID_ACTION };

/** Length of a passkey, and of the site and report secrets. */
export const KEY_LENGTH = 32;

/** Body of the one non-bencoded reply, sent as HTTP 200 `text/html`. */
export const NOTHING_TO_SEE_HERE =
  '<html><head><meta name="robots" content="noindex, nofollow" /></head><body>Nothing to see here</body></html>';

function isAction(action: string): action is RouteAction {
  return action === 'announce' || action === 'scrape' || action === 'update' || action === 'report';
}

/**
 * Classifies a request target such as `/<passkey>/announce?info_hash=…`.
 * Checked in Ocelot's order: the key (`Malformed announce`), then the
 * presence of a query string (`Nothing to see here` without one), then the
 * action (`Invalid action`). `query` is the raw text after the first `?`.
 */
export function classifyPath(url: string): Route {
  const questionMark = url.indexOf('?');
  const path = questionMark === -1 ? url : url.slice(0, questionMark);
  const keyEnd = KEY_LENGTH + 1;
  // `/<key>/`: the key runs from offset 1 to the second slash.
  if (path.charCodeAt(0) !== 0x2f || path.indexOf('/', 1) !== keyEnd) return { kind: 'failure', reason: MALFORMED_ANNOUNCE };
  if (questionMark === -1) return { kind: 'nothing-to-see' };
  const action = path.slice(keyEnd + 1);
  if (!isAction(action)) return { kind: 'failure', reason: INVALID_ACTION };
  return { kind: action, key: path.slice(1, keyEnd), query: url.slice(questionMark + 1) };
}
