--[[
  update?action=add_token / remove_token.
  KEYS[1] torrents, KEYS[2] tokens. ARGV: hex info_hash, user id, '1' add | '0' remove.
  Returns 1 if the torrent is known.
]]
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur then return 0 end
local member = string.match(cur, '^(%d+)|') .. ':' .. ARGV[2]
if ARGV[3] == '1' then redis.call('SADD', KEYS[2], member) else redis.call('SREM', KEYS[2], member) end
return 1
