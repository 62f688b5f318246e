--[[
  Removes the peers of one torrent that have not announced since the cutoff (their cached
  candidates go with them), and records for MySQL that they are gone: their xbt_files_users
  rows become active=0 and the torrent's counts are rewritten (Ocelot writes neither, §14.18).
  Bounded: at most ARGV[2] peers per list per call; the caller calls again while a batch is full.
  KEYS: swarms, torrent state, peers, seeders, leechers, seeders v4, seeders v6, leechers v4,
        leechers v6, candidates, torrents, pending torrents, pending peers, peer counts
  ARGV: cutoff (unix seconds, strictly older peers go), limit, hex info_hash, readonly ('1')
  Returns {seeders removed, leechers removed, peers left}.
]]
--- @include "includes/peerRecord"
--- @include "includes/endpoints"

local cutoff, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
local record = ARGV[4] ~= '1'
local rawTorrent = redis.call('HGET', KEYS[11], ARGV[3])
local tid = rawTorrent and tonumber(string.match(rawTorrent, '^(%d+)|')) or nil
local setList = { KEYS[6], KEYS[7], KEYS[8], KEYS[9] }
local removed = { 0, 0 }
for i, listKey in ipairs({ KEYS[4], KEYS[5] }) do
  local stale = redis.call('ZRANGEBYSCORE', listKey, '-inf', '(' .. cutoff, 'LIMIT', 0, limit)
  for _, peerKey in ipairs(stale) do
    local raw = redis.call('HGET', KEYS[3], peerKey)
    if raw then
      local gone = unpackPeer(raw)
      syncEndpoints(setList, KEYS[10], gone, nil, peerKey)
      if gone.v4 ~= '' then redis.call('HINCRBY', KEYS[14], 'v4', -1) end
      if gone.v6 ~= '' then redis.call('HINCRBY', KEYS[14], 'v6', -1) end
      redis.call('HINCRBY', KEYS[14], struct.unpack('>I4', peerKey) .. (i == 1 and ':s' or ':l'), -1)
      redis.call('HDEL', KEYS[3], peerKey)
    end
    redis.call('ZREM', listKey, peerKey)
    removed[i] = removed[i] + 1
    if record and tid then
      -- peer key = uid u32 .. hex peer_id; a pending row keeps its values and turns inactive
      local field = string.sub(peerKey, 1, 4) .. struct.pack('>I4', tid) .. string.sub(peerKey, 5)
      local prev = redis.call('HGET', KEYS[13], field)
      if prev then
        redis.call('HSET', KEYS[13], field, 'h\0' .. string.sub(prev, 3))
      else
        redis.call('HSET', KEYS[13], field, 'd')
      end
    end
  end
end
if removed[1] > 0 then redis.call('HINCRBY', KEYS[14], 'seeders', -removed[1]) end
if removed[2] > 0 then redis.call('HINCRBY', KEYS[14], 'leechers', -removed[2]) end
local left = redis.call('HLEN', KEYS[3])
if left == 0 then redis.call('SREM', KEYS[1], ARGV[3]) end
if record and tid and removed[1] + removed[2] > 0 then
  local balance = redis.call('HGET', KEYS[2], 'balance') or string.match(rawTorrent, '^%d+|%d+|%d+|(%-?%d+)') or '0'
  redis.call('HSET', KEYS[12], tostring(tid),
    redis.call('ZCARD', KEYS[4]) .. '|' .. redis.call('ZCARD', KEYS[5]) .. '|' .. balance)
end
return { removed[1], removed[2], left }
