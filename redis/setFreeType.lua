--[[
  update?action=update_torrent(s): sets the free type of the known torrents of one shard, leaves
  unknown ones alone. The key count varies, so it is given per call. Every key is read before
  the first write, so a key of the wrong type fails the call before it changes anything: the
  shard's torrents change all or none.
  KEYS[1] the shard's index, KEYS[2..] the torrents' hashes. ARGV[1] free type, ARGV[2..] the
  hex info_hashes in the same order. Returns how many changed.
]]
local t = redis.call('TYPE', KEYS[1])
if t.ok ~= 'hash' and t.ok ~= 'none' then return redis.error_reply('WRONGTYPE ' .. KEYS[1] .. ' is not a hash') end
local ids = {}
for i = 2, #KEYS do ids[i] = redis.call('HGET', KEYS[i], 'id') end
local n = 0
for i = 2, #KEYS do
  if ids[i] then
    redis.call('HSET', KEYS[i], 'f', ARGV[1])
    redis.call('HSET', KEYS[1], ARGV[i], ids[i] .. '|' .. ARGV[1])
    n = n + 1
  end
end
return n
