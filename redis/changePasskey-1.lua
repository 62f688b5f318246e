--[[
  update?action=change_passkey: the same user under a new passkey. Old == new is a no-op
  (Ocelot deletes the user then, §14.16).
  KEYS[1] users. ARGV: old passkey, new passkey. Returns 1 if changed.
]]
if ARGV[1] == ARGV[2] then return 0 end
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur then return 0 end
redis.call('HSET', KEYS[1], ARGV[2], cur)
redis.call('HDEL', KEYS[1], ARGV[1])
return 1
