--[[
  Candidate peers, cached per torrent in its hash, one field per list and family: 's4', 's6',
  'l4', 'l6'. A field holds a 5-byte head (kind 'c' or 'p', u32 unix time built) and then
  records of  endpoint (6 or 18 bytes) .. dual-stack flag (1) .. uid (4), visible peers only.
  - 'c' (complete): every visible peer of that list and family is in it. Joins and leaves edit
    it in place, so it never needs rebuilding; it turns 'p' when it would pass `cap` records.
  - 'p' (partial): a random sample of a bigger list. Leaves are edited out in place; it is drawn
    afresh after `ttl` seconds, so a big swarm shows a new random subset now and then.
  A missing field is drawn on the first announce that wants it. The worker picks from these
  records and skips its own user, its own endpoints and removed users.
]]
local HEAD_LEN = 5
local RECORD_LEN = { s4 = 11, l4 = 11, s6 = 23, l6 = 23 }

-- The candidate records of a peer (nil where it has none): IPv4 record, IPv6 record.
local function peerRecords(p, uidBytes)
  if not p or not p.visible then return nil, nil end
  local pb = struct.pack('>I2', p.port)
  local r4, r6 = nil, nil
  if p.v4 ~= '' then r4 = p.v4 .. pb .. (p.v6 ~= '' and '\1' or '\0') .. uidBytes end
  if p.v6 ~= '' then r6 = p.v6 .. pb .. '\0' .. uidBytes end
  return r4, r6
end

-- Removes one aligned copy of `rec` from a field value (returns nil if it is not there).
local function withoutRecord(value, rec)
  local len = #rec
  local at = HEAD_LEN + 1
  while true do
    local i = string.find(value, rec, at, true)
    if not i then return nil end
    if (i - HEAD_LEN - 1) % len == 0 then return string.sub(value, 1, i - 1) .. string.sub(value, i + len) end
    at = i + 1
  end
end

-- Adds `rec` to a field value if it has room (a full complete field becomes partial instead).
local function withRecord(value, rec, cap)
  local n = (#value - HEAD_LEN) / #rec
  if n < cap then return value .. rec end
  if string.sub(value, 1, 1) == 'c' then return 'p' .. string.sub(value, 2) end
  return value
end

-- cache: field name -> current value (false when absent); edits it for a peer whose records
-- move from (oldList, o4, o6) to (newList, n4, n6). Returns true if anything changed.
local function editCandidates(cache, oldList, o4, o6, newList, n4, n6, cap)
  local changed = false
  local function move(fam, o, n)
    local of, nf = oldList .. fam, newList .. fam
    if of == nf and o == n then return end
    if o and cache[of] then
      local v = withoutRecord(cache[of], o)
      if v then cache[of] = v; changed = true end
    end
    if n and cache[nf] then
      local v = withRecord(cache[nf], n, cap)
      if v ~= cache[nf] then cache[nf] = v; changed = true end
    end
  end
  move('4', o4, n4)
  move('6', o6, n6)
  return changed
end

-- Draws the IPv4 and IPv6 fields of one list afresh: up to `cap` random peers (all of them when
-- the list has no more than `cap`). Returns the two field values.
local function drawCandidates(listKey, listSize, cap, now)
  local flat = redis.call('HRANDFIELD', listKey, cap, 'WITHVALUES')
  local kind = listSize <= cap and 'c' or 'p'
  local head = kind .. struct.pack('>I4', now)
  local r4s, r6s = { head }, { head }
  for i = 1, #flat, 2 do
    local r4, r6 = peerRecords(unpackPeer(flat[i + 1]), string.sub(flat[i], 1, 4))
    if r4 then r4s[#r4s + 1] = r4 end
    if r6 then r6s[#r6s + 1] = r6 end
  end
  return table.concat(r4s), table.concat(r6s)
end

-- Whether a cached field must be drawn again before it is handed out.
local function stale(value, now, ttl)
  if not value then return true end
  if string.sub(value, 1, 1) == 'c' then return false end
  return now - struct.unpack('>I4', value, 2) >= ttl
end
