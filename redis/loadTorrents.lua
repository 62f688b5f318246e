--[[
  The list loader's writes for one shard (start, SIGUSR1): registers or updates the torrents
  given, unregisters those to drop, and marks the shard as loaded. Only what differs is
  written; a torrent's swarm and snatches already in Redis stay (Redis holds the newer
  counts).
  KEYS[1] the shard's index, KEYS[2] the shard's counts, KEYS[3..] torrents' hashes: first the
  ones to load, then the ones to drop. ARGV[1] how many to load, then per torrent to load
  hex, id, free type, Snatched; then the hexes to drop. Returns how many were written.
]]
local load = tonumber(ARGV[1])
local n = 0
local a = 2
for i = 3, 2 + load do
  local hex, id, free, sn = ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3]
  a = a + 4
  local cur = redis.call('HMGET', KEYS[i], 'id', 'f')
  if cur[1] ~= id or cur[2] ~= free then
    if not cur[1] then
      redis.call('HDEL', KEYS[i], 'dr')
      redis.call('PERSIST', KEYS[i])
    end
    redis.call('HSET', KEYS[i], 'id', id, 'f', free)
    redis.call('HSETNX', KEYS[i], 'sn', sn)
    redis.call('HSET', KEYS[1], hex, id .. '|' .. free)
    n = n + 1
  end
end
for i = 3 + load, #KEYS do
  local hex = ARGV[a]
  a = a + 1
  redis.call('HDEL', KEYS[i], 'id', 'f')
  redis.call('HDEL', KEYS[1], hex)
  n = n + 1
end
redis.call('HSET', KEYS[2], 'ok', 1)
return n
