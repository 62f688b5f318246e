--[[
  update?action=add_whitelist / remove_whitelist / edit_whitelist: prefixes as hex.
  KEYS: whitelist, feed, version. ARGV: hex prefix to remove ('-' none), hex prefix to add
  ('-' none), feed length. Returns the whitelist size.
]]
--- @include "includes/feed"

if ARGV[1] ~= '-' then redis.call('SREM', KEYS[1], ARGV[1]) end
if ARGV[2] ~= '-' then redis.call('SADD', KEYS[1], ARGV[2]) end
publish(KEYS[2], KEYS[3], ARGV[3], 'w')
return redis.call('SCARD', KEYS[1])
