--[[
  update?action=add_user: a new passkey gets a user that may leech; a known passkey is only
  un-deleted (its id and flags stay, as Ocelot).
  KEYS: users, removed, feed, version. ARGV: passkey, id, protected ('1'/'0'), feed length.
  Returns 1 if new.
]]
--- @include "includes/feed"

local cur = redis.call('HGET', KEYS[1], ARGV[1])
local value, added = cur, 0
if not cur then
  value, added = ARGV[2] .. '|1|' .. ARGV[3], 1
  redis.call('HSET', KEYS[1], ARGV[1], value)
end
local uid = string.match(value, '^(%d+)|')
redis.call('ZREM', KEYS[2], uid)
publish(KEYS[3], KEYS[4], ARGV[4], 'a', ARGV[1], value, uid)
return added
