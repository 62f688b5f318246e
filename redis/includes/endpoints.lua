--[[
  Endpoint sets: per torrent, per list (seeders/leechers) and per address family, a sorted set
  whose members are  endpoint (6 or 18 bytes) .. dual-stack flag (1 byte) .. peer key (24 bytes).
  Only visible peers are members, so selection never has to look at the peer hash.
  The dual-stack flag on an IPv4 member says the peer also has IPv6, so an IPv6 requester
  (who gets that peer's IPv6 endpoint) can skip it in the IPv4 set.
  Scores are unused (0): membership only changes when state changes, so a routine announce
  writes nothing here.
]]
local function portBytes(port)
  return struct.pack('>I2', port)
end

-- returns the v4 and v6 members of a peer ('' when it has none or is not visible)
local function endpointMembers(p, peerKey)
  if not p.visible then return '', '' end
  local pb = portBytes(p.port)
  local m4, m6 = '', ''
  if p.v4 ~= '' then
    m4 = p.v4 .. pb .. (p.v6 ~= '' and '\1' or '\0') .. peerKey
  end
  if p.v6 ~= '' then
    m6 = p.v6 .. pb .. '\0' .. peerKey
  end
  return m4, m6
end

-- keys: { s4, s6, l4, l6 }; moves a peer's members from its old state to its new one
local function syncEndpoints(keys, old, new, peerKey)
  local o4, o6, n4, n6 = '', '', '', ''
  local oSeeder, nSeeder = false, false
  if old then o4, o6 = endpointMembers(old, peerKey); oSeeder = old.seeder end
  if new then n4, n6 = endpointMembers(new, peerKey); nSeeder = new.seeder end
  local o4key = oSeeder and keys[1] or keys[3]
  local o6key = oSeeder and keys[2] or keys[4]
  local n4key = nSeeder and keys[1] or keys[3]
  local n6key = nSeeder and keys[2] or keys[4]
  if o4 ~= n4 or o4key ~= n4key then
    if o4 ~= '' then redis.call('ZREM', o4key, o4) end
    if n4 ~= '' then redis.call('ZADD', n4key, 0, n4) end
  end
  if o6 ~= n6 or o6key ~= n6key then
    if o6 ~= '' then redis.call('ZREM', o6key, o6) end
    if n6 ~= '' then redis.call('ZADD', n6key, 0, n6) end
  end
end
