--[[
  Ends a flush batch once MySQL holds all of it: deletes the batch keys, but only if the batch
  is still the current one (a flusher that lost its lease and finished late must not delete a
  newer batch).
  KEYS[1..7] batch keys, KEYS[8] current batch id. ARGV[1] batch id. Returns 1 if ended.
]]
if redis.call('HGET', KEYS[8], 'id') ~= ARGV[1] then return 0 end
-- UNLINK frees a big batch hash in the background instead of blocking Redis for it
for i = 1, 7 do redis.call('UNLINK', KEYS[i]) end
redis.call('DEL', KEYS[8])
return 1
