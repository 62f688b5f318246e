--[[
  update?action=change_passkey: the same user under a new passkey. Old == new is a no-op
  (Ocelot deletes the user then).
  KEYS: users, feed, version. ARGV: old passkey, new passkey, feed length. Returns 1 if changed.
]]
--- @include "includes/feed"

if ARGV[1] == ARGV[2] then return 0 end
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur then return 0 end
redis.call('HSET', KEYS[1], ARGV[2], cur)
redis.call('HDEL', KEYS[1], ARGV[1])
publish(KEYS[2], KEYS[3], ARGV[3], 'c', ARGV[1], ARGV[2], cur)
return 1
