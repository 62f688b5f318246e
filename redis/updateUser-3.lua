--[[
  update?action=update_user: changes only the flags given ('' = leave as is), fixing Ocelot's
  reset of the omitted one.
  KEYS: users, feed, version. ARGV: passkey, can_leech ('1','0',''), protected ('1','0',''),
  feed length. Returns 1 if the user is known.
]]
--- @include "includes/feed"

local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur then return 0 end
local id, canLeech, prot = string.match(cur, '^(%d+)|(%d)|(%d)')
if ARGV[2] ~= '' then canLeech = ARGV[2] end
if ARGV[3] ~= '' then prot = ARGV[3] end
local value = id .. '|' .. canLeech .. '|' .. prot
if value ~= cur then
  redis.call('HSET', KEYS[1], ARGV[1], value)
  publish(KEYS[2], KEYS[3], ARGV[4], 'u', ARGV[1], value)
end
return 1
