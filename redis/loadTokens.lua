--[[
  The list loader's token writes for one shard: adds and removes freeleech tokens.
  KEYS[1] the shard's tokens, KEYS[2..] torrents' hashes (one per change). ARGV: per change
  '+' or '-', torrent id, user id. Returns how many changed.
]]
for i = 2, #KEYS do
  local a = (i - 2) * 3 + 1
  local member = ARGV[a + 1] .. ':' .. ARGV[a + 2]
  if ARGV[a] == '+' then
    redis.call('HSET', KEYS[i], 'k' .. ARGV[a + 2], 1)
    redis.call('SADD', KEYS[1], member)
  else
    redis.call('HDEL', KEYS[i], 'k' .. ARGV[a + 2])
    redis.call('SREM', KEYS[1], member)
  end
end
return #KEYS - 1
