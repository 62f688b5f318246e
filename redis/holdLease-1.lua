--[[
  The flush lease: one flusher at a time across every primary sharing this Redis (or cluster).
  Takes the lease if it is free, renews it if this owner holds it; a holder that dies stops
  renewing and the lease moves after ARGV[2] ms.
  KEYS[1] lease. ARGV[1] owner id, ARGV[2] ttl ms. Returns 1 if ARGV[1] holds the lease.
]]
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
