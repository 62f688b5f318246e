--[[
  update?action=add_torrent: a new torrent starts with no snatches and no balance; a known one
  keeps its id and counters and only takes the new free type (as Ocelot).
  KEYS[1] torrents. ARGV: hex info_hash, id, free type. Returns 1 if added, 0 if updated.
]]
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur then
  local id, _, rest = string.match(cur, '^(%d+)|(%d+)|(.*)$')
  redis.call('HSET', KEYS[1], ARGV[1], id .. '|' .. ARGV[3] .. '|' .. rest)
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. '|' .. ARGV[3] .. '|0|0')
return 1
