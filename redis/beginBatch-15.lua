--[[
  Starts a flush batch: atomically renames every non-empty pending key to its batch key, so
  announces go on writing fresh pending keys while the batch is written to MySQL. If a batch is
  already under way (a flusher died or MySQL failed), it is returned instead: it must be finished
  first, exactly once.
  KEYS[1..7] pending keys, KEYS[8..14] batch keys (same order), KEYS[15] current batch id
  ARGV[1] the new batch id, ARGV[2] unix time
  Returns {batch id, started at, 1 if new | 0 if resumed}; {'' , 0, 0} when there is nothing to flush.
]]
local current = redis.call('HMGET', KEYS[15], 'id', 'at')
if current[1] then return { current[1], tonumber(current[2]), 0 } end
local any = false
for i = 1, 7 do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    redis.call('RENAME', KEYS[i], KEYS[i + 7])
    any = true
  end
end
if not any then return { '', 0, 0 } end
redis.call('HSET', KEYS[15], 'id', ARGV[1], 'at', ARGV[2])
return { ARGV[1], tonumber(ARGV[2]), 1 }
