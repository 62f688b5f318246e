--[[
  update?action=delete_torrent: forget the torrent and its whole swarm, and remember why, so
  later announces get "Unregistered torrent: <reason>" (ocelot-behaviour §8). Peer rows in the
  database are left alone, as Ocelot does.
  KEYS: torrents, delreasons, swarms, then the torrent's state, peers, seeders, leechers,
        s4, s6, l4, l6, candidates, then the global peer counts.
  ARGV: hex info_hash, reason code, unix time. Returns the torrent id, or 0 if it was unknown.
]]
--- @include "includes/peerRecord"

local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2] .. '|' .. ARGV[3])
redis.call('SREM', KEYS[3], ARGV[1])
local peers = redis.call('HGETALL', KEYS[5])
for i = 1, #peers, 2 do
  local gone = unpackPeer(peers[i + 1])
  local seeder = gone.seeder
  if gone.v4 ~= '' then redis.call('HINCRBY', KEYS[13], 'v4', -1) end
  if gone.v6 ~= '' then redis.call('HINCRBY', KEYS[13], 'v6', -1) end
  redis.call('HINCRBY', KEYS[13], seeder and 'seeders' or 'leechers', -1)
  redis.call('HINCRBY', KEYS[13], struct.unpack('>I4', peers[i]) .. (seeder and ':s' or ':l'), -1)
end
for i = 4, 12 do redis.call('DEL', KEYS[i]) end
return tonumber(string.match(cur, '^(%d+)|'))
