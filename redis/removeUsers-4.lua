--[[
  update?action=remove_user(s): the passkeys stop working at once, and the users' peers are no
  longer handed out (their ids are recorded as removed).
  KEYS: users, removed, feed, version. ARGV[1] unix time, ARGV[2] feed length, ARGV[3..] passkeys.
  Returns how many were removed.
]]
--- @include "includes/feed"

local keys, uids = {}, {}
for i = 3, #ARGV do
  local cur = redis.call('HGET', KEYS[1], ARGV[i])
  if cur then
    local uid = string.match(cur, '^(%d+)|')
    redis.call('HDEL', KEYS[1], ARGV[i])
    redis.call('ZADD', KEYS[2], ARGV[1], uid)
    keys[#keys + 1] = ARGV[i]
    uids[#uids + 1] = uid
  end
end
if #keys > 0 then publish(KEYS[3], KEYS[4], ARGV[2], 'r', table.concat(keys), table.concat(uids, ','), ARGV[1]) end
return #keys
