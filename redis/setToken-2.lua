--[[
  update?action=add_token / remove_token.
  KEYS[1] the torrent's hash, KEYS[2] the shard's tokens. ARGV: user id, '1' add | '0' remove.
  Returns 1 if the torrent is known.
]]
local id = redis.call('HGET', KEYS[1], 'id')
if not id then return 0 end
if ARGV[2] == '1' then
  redis.call('HSET', KEYS[1], 'k' .. ARGV[1], 1)
  redis.call('SADD', KEYS[2], id .. ':' .. ARGV[1])
else
  redis.call('HDEL', KEYS[1], 'k' .. ARGV[1])
  redis.call('SREM', KEYS[2], id .. ':' .. ARGV[1])
end
return 1
