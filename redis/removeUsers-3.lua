--[[
  update?action=remove_user(s): the passkeys stop working at once, and the users' peers are no
  longer handed out (recorded as deleted; every cached candidate list is rebuilt).
  KEYS[1] users, KEYS[2] deleted users, KEYS[3] cache epoch. ARGV[1] unix time, ARGV[2..] passkeys.
  Returns how many were removed.
]]
local n = 0
for i = 2, #ARGV do
  local cur = redis.call('HGET', KEYS[1], ARGV[i])
  if cur then
    redis.call('HDEL', KEYS[1], ARGV[i])
    redis.call('ZADD', KEYS[2], ARGV[1], string.match(cur, '^(%d+)|'))
    n = n + 1
  end
end
if n > 0 then redis.call('INCR', KEYS[3]) end
return n
