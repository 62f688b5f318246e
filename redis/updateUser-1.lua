--[[
  update?action=update_user: changes only the flags given ('' = leave as is), fixing Ocelot's
  reset of the omitted one (§14.15).
  KEYS[1] users. ARGV: passkey, can_leech ('1','0',''), protected ('1','0','').
  Returns 1 if the user is known.
]]
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur then return 0 end
local id, canLeech, prot = string.match(cur, '^(%d+)|(%d)|(%d)')
if ARGV[2] ~= '' then canLeech = ARGV[2] end
if ARGV[3] ~= '' then prot = ARGV[3] end
redis.call('HSET', KEYS[1], ARGV[1], id .. '|' .. canLeech .. '|' .. prot)
return 1
