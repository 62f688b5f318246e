--[[
  update?action=delete_torrent: forget the torrent and its whole swarm, and remember why for
  del_reason_lifetime seconds, so later announces get "Unregistered torrent: <reason>". Peer
  rows in the database are left alone and no torrent row is written, as Ocelot does.
  KEYS: torrent, seeders, leechers, swarms, counts, tokens, index (as in announce-9.lua)
  ARGV: hex info_hash, reason code, unix time, lifetime (s; 0 keeps no reason).
  Returns the torrent id, or 0 if it was unknown.
]]
--- @include "includes/peerRecord"

local id = redis.call('HGET', KEYS[1], 'id')
if not id then return 0 end
local d4, d6 = 0, 0
for _, key in ipairs({ KEYS[2], KEYS[3] }) do
  for _, raw in ipairs(redis.call('HVALS', key)) do
    local _, _, _, _, _, _, _, _, _, v4, v6 = unpackPeer(raw)
    if v4 ~= '' then d4 = d4 - 1 end
    if v6 ~= '' then d6 = d6 - 1 end
  end
end
local ns, nl = redis.call('HLEN', KEYS[2]), redis.call('HLEN', KEYS[3])
if ns > 0 then redis.call('HINCRBY', KEYS[5], 's', -ns) end
if nl > 0 then redis.call('HINCRBY', KEYS[5], 'l', -nl) end
if d4 ~= 0 then redis.call('HINCRBY', KEYS[5], '4', d4) end
if d6 ~= 0 then redis.call('HINCRBY', KEYS[5], '6', d6) end
for _, f in ipairs(redis.call('HKEYS', KEYS[1])) do
  if string.sub(f, 1, 1) == 'k' then redis.call('SREM', KEYS[6], id .. ':' .. string.sub(f, 2)) end
end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
local lifetime = tonumber(ARGV[4])
if lifetime > 0 then
  redis.call('HSET', KEYS[1], 'dr', ARGV[2] .. '|' .. ARGV[3])
  redis.call('EXPIRE', KEYS[1], lifetime)
end
redis.call('SREM', KEYS[4], ARGV[1])
redis.call('HDEL', KEYS[7], ARGV[1])
return tonumber(id)
