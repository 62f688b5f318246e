--[[
  update?action=add_torrent: a new torrent starts with no snatches; a known one
  keeps its id and counters and only takes the new free type (as Ocelot). A deleted torrent's
  reason is forgotten.
  KEYS[1] the torrent's hash, KEYS[2] the shard's index (hex -> "id|free", the loader's).
  ARGV: hex info_hash, id, free type. Returns 1 if added, 0 if updated.
]]
local id = redis.call('HGET', KEYS[1], 'id')
if id then
  redis.call('HSET', KEYS[1], 'f', ARGV[3])
  redis.call('HSET', KEYS[2], ARGV[1], id .. '|' .. ARGV[3])
  return 0
end
redis.call('HDEL', KEYS[1], 'dr')
redis.call('PERSIST', KEYS[1])
redis.call('HSET', KEYS[1], 'id', ARGV[2], 'f', ARGV[3], 'sn', 0)
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2] .. '|' .. ARGV[3])
return 1
