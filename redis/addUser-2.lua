--[[
  update?action=add_user: a new passkey gets a user that may leech; a known passkey is only
  un-deleted (its id and flags stay, as Ocelot).
  KEYS[1] users, KEYS[2] deleted users. ARGV: passkey, id, protected ('1'/'0'). Returns 1 if new.
]]
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur then
  redis.call('ZREM', KEYS[2], string.match(cur, '^(%d+)|'))
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. '|1|' .. ARGV[3])
redis.call('ZREM', KEYS[2], ARGV[2])
return 1
