--[[
  Candidate peers for the worker to pick from. Per torrent and endpoint set, a cached blob of up
  to `size` records  endpoint .. dual flag .. uid  (11 bytes for IPv4, 23 for IPv6), drawn at random
  from the set. A cache hit costs one HMGET and no per-peer work in Lua; the cache is rebuilt when
  the set changes (syncEndpoints drops the field), when it is older than `ttl` seconds, or when the
  global epoch moves (a user was removed: their peers must disappear at once).
  Records of removed users are left out when the blob is built.
]]
local RECORD_LEN = { s4 = 11, l4 = 11, s6 = 23, l6 = 23 }

local function buildCandidates(setKey, field, size, deletedKey, checkDeleted)
  local len = RECORD_LEN[field]
  local recs = {}
  for _, m in ipairs(redis.call('ZRANDMEMBER', setKey, size)) do
    local keep = true
    if checkDeleted then
      local uid = struct.unpack('>I4', string.sub(m, len - 3, len))
      keep = redis.call('ZSCORE', deletedKey, tostring(uid)) == false
    end
    if keep then recs[#recs + 1] = string.sub(m, 1, len) end
  end
  return table.concat(recs)
end

-- fields: the set fields wanted ('s4', 'l6', ...); sets: field -> set key. Returns field -> blob.
local function candidates(cacheKey, fields, sets, size, ttl, epoch, now, deletedKey)
  local wanted = { 'v' }
  for _, f in ipairs(fields) do wanted[#wanted + 1] = f end
  local cached = redis.call('HMGET', cacheKey, unpack(wanted))
  local stamp = cached[1]
  local valid = false
  if stamp then
    local e, t = string.match(stamp, '^(%d+)|(%d+)$')
    valid = e == epoch and now - tonumber(t) < ttl
  end
  if not valid then
    redis.call('DEL', cacheKey)
    redis.call('HSET', cacheKey, 'v', epoch .. '|' .. now)
    redis.call('EXPIRE', cacheKey, ttl * 2)
  end
  local out = {}
  local checkDeleted = nil
  for i, f in ipairs(fields) do
    local blob = valid and cached[i + 1] or false
    if not blob then
      if checkDeleted == nil then checkDeleted = redis.call('ZCARD', deletedKey) > 0 end
      blob = buildCandidates(sets[f], f, size, deletedKey, checkDeleted)
      redis.call('HSET', cacheKey, f, blob)
    end
    out[f] = blob
  end
  return out
end
