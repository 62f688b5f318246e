--[[
  Scrape, read-only, for the hashes of one shard (the worker groups a scrape's hashes by shard
  and calls this once per shard). The key count varies, so it is given per call.
  KEYS[1] the shard's counts (its 'ok' field says the shard's torrents are loaded), KEYS[2..]
  the torrents' hashes. Returns {0} when the shard's lists are missing, else
  {1, complete, incomplete, downloaded, ...} with -1s for hashes that are not registered.
]]
--- @flags no-writes
if redis.call('HEXISTS', KEYS[1], 'ok') == 0 then return { 0 } end
local out = { 1 }
for i = 2, #KEYS do
  local t = redis.call('HMGET', KEYS[i], 'id', 'ns', 'nl', 'sn')
  if t[1] then
    out[#out + 1] = tonumber(t[2]) or 0
    out[#out + 1] = tonumber(t[3]) or 0
    out[#out + 1] = tonumber(t[4]) or 0
  else
    out[#out + 1] = -1
    out[#out + 1] = -1
    out[#out + 1] = -1
  end
end
return out
