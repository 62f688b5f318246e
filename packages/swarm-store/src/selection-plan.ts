/**
 * Which endpoint sets an announce draws peers from, in order. The Lua script follows the plan;
 * keeping the rule here makes it testable without Redis.
 *
 * Codes, two characters each: list (`s` seeders, `l` leechers) then family
 * (`6` IPv6 endpoints, `4` all IPv4 endpoints, `o` IPv4 endpoints of peers without IPv6).
 *
 * - A leecher gets seeders first, then leechers; a seeder gets only leechers.
 * - A requester with IPv6 gets the IPv6 endpoint of every peer that has one (in `peers6`) and
 *   the IPv4 endpoint of the others (in `peers`); an IPv4-only requester gets IPv4 endpoints only
 *   (Ocelot's dual-stack rule).
 */
export function selectionPlan(isLeecher: boolean, requesterHasIPv6: boolean): string {
  const family = requesterHasIPv6 ? '6o' : '4';
  const lists = isLeecher ? ['s', 'l'] : ['l'];
  let plan = '';
  for (const list of lists) {
    for (const f of family) plan += list + f;
  }
  return plan;
}
