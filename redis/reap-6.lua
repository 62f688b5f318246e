--[[
  Removes the peers of one torrent that have not announced since the cutoff, one page of each
  list per call (HSCAN, so Redis is never blocked for long; the caller calls again with the
  cursors until both are 'done'). Their xbt_files_users rows become active = 0 and the
  torrent's counts are rewritten (Ocelot writes neither). The cached candidates are dropped
  (drawn afresh by the next announce), the counts are recounted, and an empty torrent leaves
  the shard's swarm list.
  KEYS: torrent, seeders, leechers, pending, swarms, counts (as in announce-9.lua)
  ARGV: cutoff (unix seconds; strictly older peers go), hex info_hash, readonly ('1'),
        seeders cursor, leechers cursor ('done' when finished), page size
  Returns {seeders removed, leechers removed, seeders cursor, leechers cursor}.
]]
--- @include "includes/peerRecord"
--- @include "includes/pendingRows"

local cutoff, hex, record, page = tonumber(ARGV[1]), ARGV[2], ARGV[3] ~= '1', tonumber(ARGV[6])
local tid = tonumber(redis.call('HGET', KEYS[1], 'id'))
local tidBytes = tid and struct.pack('>I4', tid) or nil
local cursors = { ARGV[4], ARGV[5] }
local removed = { 0, 0 }
local d4, d6 = 0, 0
for i, key in ipairs({ KEYS[2], KEYS[3] }) do
  if cursors[i] ~= 'done' then
    local r = redis.call('HSCAN', key, cursors[i], 'COUNT', page)
    cursors[i] = r[1] == '0' and 'done' or r[1]
    local flat = r[2]
    for j = 1, #flat, 2 do
      local _, _, _, _, _, last, _, _, _, v4, v6 = unpackPeer(flat[j + 1])
      if last < cutoff then
        redis.call('HDEL', key, flat[j])
        removed[i] = removed[i] + 1
        if v4 ~= '' then d4 = d4 - 1 end
        if v6 ~= '' then d6 = d6 - 1 end
        if record and tid then putGoneRow(KEYS[4], tidBytes .. flat[j]) end
      end
    end
  end
end
if removed[1] > 0 then redis.call('HINCRBY', KEYS[6], 's', -removed[1]) end
if removed[2] > 0 then redis.call('HINCRBY', KEYS[6], 'l', -removed[2]) end
if d4 ~= 0 then redis.call('HINCRBY', KEYS[6], '4', d4) end
if d6 ~= 0 then redis.call('HINCRBY', KEYS[6], '6', d6) end
local ns, nl = redis.call('HLEN', KEYS[2]), redis.call('HLEN', KEYS[3])
if tid then
  -- recounted, so that any drift in the cached counts heals at every reap
  redis.call('HSET', KEYS[1], 'ns', ns, 'nl', nl)
  if removed[1] + removed[2] > 0 then
    redis.call('HDEL', KEYS[1], 's4', 's6', 'l4', 'l6', 'ch')
    if record then putTorrentRow(KEYS[4], tidBytes, ns, nl, false) end
  end
end
if ns + nl == 0 then redis.call('SREM', KEYS[5], hex) end
return { removed[1], removed[2], cursors[1], cursors[2] }
