--[[
  update?action=update_torrent(s): sets the free type of known torrents, leaves others alone.
  KEYS[1] torrents. ARGV[1] free type, ARGV[2..] hex info_hashes. Returns how many changed.
]]
local n = 0
for i = 2, #ARGV do
  local cur = redis.call('HGET', KEYS[1], ARGV[i])
  if cur then
    local id, _, rest = string.match(cur, '^(%d+)|(%d+)|(.*)$')
    redis.call('HSET', KEYS[1], ARGV[i], id .. '|' .. ARGV[1] .. '|' .. rest)
    n = n + 1
  end
end
return n
