--[[
  Removes the peers of one torrent that have not announced since the cutoff (their cached
  candidates go with them).
  Bounded: at most ARGV[2] peers per list per call; the caller calls again while it returns
  a full batch.
  KEYS: swarms, torrent state, peers, seeders, leechers, seeders v4, seeders v6, leechers v4,
        leechers v6, candidates
  ARGV: cutoff (unix seconds, strictly older peers go), limit, hex info_hash
  Returns {seeders removed, leechers removed, peers left}.
]]
--- @include "includes/peerRecord"
--- @include "includes/endpoints"

local cutoff, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
local setList = { KEYS[6], KEYS[7], KEYS[8], KEYS[9] }
local removed = { 0, 0 }
for i, listKey in ipairs({ KEYS[4], KEYS[5] }) do
  local stale = redis.call('ZRANGEBYSCORE', listKey, '-inf', '(' .. cutoff, 'LIMIT', 0, limit)
  for _, peerKey in ipairs(stale) do
    local raw = redis.call('HGET', KEYS[3], peerKey)
    if raw then
      syncEndpoints(setList, KEYS[10], unpackPeer(raw), nil, peerKey)
      redis.call('HDEL', KEYS[3], peerKey)
    end
    redis.call('ZREM', listKey, peerKey)
    removed[i] = removed[i] + 1
  end
end
local left = redis.call('HLEN', KEYS[3])
if left == 0 then redis.call('SREM', KEYS[1], ARGV[3]) end
return { removed[1], removed[2], left }
