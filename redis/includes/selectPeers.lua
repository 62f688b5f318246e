--[[
  Random sampling over the endpoint sets, following a plan made by the worker
  (see selection-plan.ts): pairs of characters, list ('s' seeders, 'l' leechers) then
  family ('6' IPv6 set, '4' whole IPv4 set, 'o' IPv4 members that have no IPv6).
  Skips the requester's own user (all its clients), its own endpoints, and users
  the site removed. Work is bounded: at most numwant + 2 members are drawn per source.
]]
local function selectPeers(plan, numwant, sets, uidBytes, own4, own6, deletedKey, withIds)
  local out4, out6 = {}, {}
  local found = 0
  if numwant <= 0 then return out4, out6 end
  local checkDeleted = redis.call('ZCARD', deletedKey) > 0
  local i = 1
  while i < #plan and found < numwant do
    local list, fam = string.sub(plan, i, i), string.sub(plan, i + 1, i + 1)
    i = i + 2
    local key = sets[list .. (fam == '6' and '6' or '4')]
    local epLen = fam == '6' and 18 or 6
    local own = fam == '6' and own6 or own4
    local members = redis.call('ZRANDMEMBER', key, numwant - found + 2)
    for _, m in ipairs(members) do
      if found >= numwant then break end
      local ep = string.sub(m, 1, epLen)
      local dual = string.byte(m, epLen + 1) == 1
      local uid = string.sub(m, epLen + 2, epLen + 5)
      local skip = uid == uidBytes or ep == own or (fam == 'o' and dual)
      if not skip and checkDeleted then
        skip = redis.call('ZSCORE', deletedKey, tostring(struct.unpack('>I4', uid))) ~= false
      end
      if not skip then
        found = found + 1
        local entry = withIds and (ep .. string.sub(m, epLen + 6)) or ep
        if fam == '6' then out6[#out6 + 1] = entry else out4[#out4 + 1] = entry end
      end
    end
  end
  return out4, out6
end
