--[[
  update?action=add_whitelist / remove_whitelist / edit_whitelist: prefixes as hex; the set of
  distinct prefix lengths is rebuilt so the announce script checks only those.
  KEYS[1] whitelist, KEYS[2] whitelist lengths. ARGV: hex prefix to remove ('-' none),
  hex prefix to add ('-' none). Returns the whitelist size.
]]
if ARGV[1] ~= '-' then redis.call('SREM', KEYS[1], ARGV[1]) end
if ARGV[2] ~= '-' then redis.call('SADD', KEYS[1], ARGV[2]) end
redis.call('DEL', KEYS[2])
local members = redis.call('SMEMBERS', KEYS[1])
for _, m in ipairs(members) do redis.call('SADD', KEYS[2], math.min(#m / 2, 21)) end
return #members
