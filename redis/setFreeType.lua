--[[
  update?action=update_torrent(s): sets the free type of the known torrents of one shard, leaves
  unknown ones alone. The key count varies, so it is given per call.
  KEYS[1] the shard's index, KEYS[2..] the torrents' hashes. ARGV[1] free type, ARGV[2..] the
  hex info_hashes in the same order. Returns how many changed.
]]
local n = 0
for i = 2, #KEYS do
  local id = redis.call('HGET', KEYS[i], 'id')
  if id then
    redis.call('HSET', KEYS[i], 'f', ARGV[1])
    redis.call('HSET', KEYS[1], ARGV[i], id .. '|' .. ARGV[1])
    n = n + 1
  end
end
return n
