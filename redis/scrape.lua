--[[
  Scrape, read-only. Key count varies with the number of hashes, so it is given per call.
  KEYS[1] users, KEYS[2] torrents, then per requested hash: torrent state, seeders, leechers.
  ARGV[1] passkey, ARGV[2..] the hex info_hashes in the same order.
  Returns {0, reason} or {1, complete, incomplete, downloaded, ...} with -1 for unknown hashes.
]]
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return {0, 'Passkey not found'} end
local out = {1}
for i = 2, #ARGV do
  local k = 3 + (i - 2) * 3
  local rawTorrent = redis.call('HGET', KEYS[2], ARGV[i])
  if rawTorrent then
    local snatched = redis.call('HGET', KEYS[k], 'snatched')
    if not snatched then snatched = string.match(rawTorrent, '^%d+|%d+|(%d+)') or '0' end
    out[#out + 1] = redis.call('ZCARD', KEYS[k + 1])
    out[#out + 1] = redis.call('ZCARD', KEYS[k + 2])
    out[#out + 1] = tonumber(snatched)
  else
    out[#out + 1] = -1
    out[#out + 1] = -1
    out[#out + 1] = -1
  end
end
return out
