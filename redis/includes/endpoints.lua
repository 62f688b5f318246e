--[[
  Endpoint sets: per torrent, per list (seeders/leechers) and per address family, a sorted set
  whose members are  endpoint (6 or 18 bytes) .. dual-stack flag (1 byte) .. uid (4 bytes)
  .. peer_id in hex (40).  Only visible peers are members, so selection never reads the peer hash.
  The dual-stack flag on an IPv4 member says the peer also has IPv6, so an IPv6 requester
  (who gets that peer's IPv6 endpoint) can skip it among the IPv4 ones.
  Scores are unused (0): membership changes only when state changes, so a routine announce
  writes nothing here. A change also drops the torrent's cached candidates for that set.
]]
local SET_FIELDS = { 's4', 's6', 'l4', 'l6' }

-- returns the v4 and v6 members of a peer ('' when it has none or is not visible)
local function endpointMembers(p, peerKey)
  if not p.visible then return '', '' end
  local pb = struct.pack('>I2', p.port)
  local m4, m6 = '', ''
  if p.v4 ~= '' then m4 = p.v4 .. pb .. (p.v6 ~= '' and '\1' or '\0') .. peerKey end
  if p.v6 ~= '' then m6 = p.v6 .. pb .. '\0' .. peerKey end
  return m4, m6
end

-- keys: { s4, s6, l4, l6 }, cacheKey: the torrent's candidate cache (HASH with the same field names)
local function syncEndpoints(keys, cacheKey, old, new, peerKey)
  local o4, o6, n4, n6 = '', '', '', ''
  local oi, ni = 3, 3
  if old then o4, o6 = endpointMembers(old, peerKey); if old.seeder then oi = 1 end end
  if new then n4, n6 = endpointMembers(new, peerKey); if new.seeder then ni = 1 end end
  if o4 ~= n4 or oi ~= ni then
    if o4 ~= '' then redis.call('ZREM', keys[oi], o4); redis.call('HDEL', cacheKey, SET_FIELDS[oi]) end
    if n4 ~= '' then redis.call('ZADD', keys[ni], 0, n4); redis.call('HDEL', cacheKey, SET_FIELDS[ni]) end
  end
  if o6 ~= n6 or oi ~= ni then
    if o6 ~= '' then redis.call('ZREM', keys[oi + 1], o6); redis.call('HDEL', cacheKey, SET_FIELDS[oi + 1]) end
    if n6 ~= '' then redis.call('ZADD', keys[ni + 1], 0, n6); redis.call('HDEL', cacheKey, SET_FIELDS[ni + 1]) end
  end
end
