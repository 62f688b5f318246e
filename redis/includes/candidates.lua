--[[
  Candidate peers, cached per torrent in its hash, one field per list and family: 's4', 's6',
  'l4', 'l6', each records of  endpoint (6 or 18 bytes) .. dual-stack flag (1) .. uid (4), of
  visible peers only. The worker reads the fields it wants with an HMGET right after the
  announce script (same round trip), so the records never pass through Lua on a routine
  announce. Field 'ch' holds a 5-byte head per field, in that order: kind and u32 unix time
  drawn. Kinds:
  - 'c' (complete): every visible peer of that list and family is in the field. Joins and leaves
    edit it in place, so it never needs drawing again; it turns 'p' when it would pass `cap`.
  - 'p' (partial): a random sample of a bigger list. Leaves are edited out in place; it is drawn
    afresh after `ttl` seconds, so a big swarm shows a new random subset now and then.
  - '-' (none yet): drawn by the first announce that wants it.
  The worker skips its own user, its own endpoints and removed users among the records.
]]
--- @include "includes/peerRecord"
local CANDIDATE_INDEX = { s4 = 1, s6 = 2, l4 = 3, l6 = 4 }
local NO_HEADS = '-\0\0\0\0-\0\0\0\0-\0\0\0\0-\0\0\0\0'

-- The candidate records of a peer (nil where it has none, or is not visible): IPv4 record,
-- IPv6 record.
local function peerRecords(visible, port, v4, v6, uidBytes)
  if not visible then return nil, nil end
  local pb = struct.pack('>I2', port)
  local r4, r6 = nil, nil
  if v4 ~= '' then r4 = v4 .. pb .. (v6 ~= '' and '\1' or '\0') .. uidBytes end
  if v6 ~= '' then r6 = v6 .. pb .. '\0' .. uidBytes end
  return r4, r6
end

-- The candidate records of a stored peer record.
local function storedRecords(raw, uidBytes)
  local _, _, _, _, _, _, _, port, flags, v4, v6 = unpackPeer(raw)
  return peerRecords(hasFlag(flags, FLAG_VISIBLE), port, v4, v6, uidBytes)
end

-- Removes one aligned copy of `rec` from a field (returns nil if it is not there).
local function withoutRecord(value, rec)
  local len = #rec
  local at = 1
  while true do
    local i = string.find(value, rec, at, true)
    if not i then return nil end
    if (i - 1) % len == 0 then return string.sub(value, 1, i - 1) .. string.sub(value, i + len) end
    at = i + 1
  end
end

local function headKind(heads, i)
  return string.sub(heads, i * 5 - 4, i * 5 - 4)
end

local function withHead(heads, i, kind, time)
  return string.sub(heads, 1, i * 5 - 5) .. kind .. struct.pack('>I4', time) .. string.sub(heads, i * 5 + 1)
end

-- Whether a field must be drawn before it is handed out.
local function stale(heads, i, now, ttl)
  local kind = headKind(heads, i)
  if kind == 'c' then return false end
  if kind == '-' then return true end
  return now - struct.unpack('>I4', heads, i * 5 - 3) >= ttl
end

-- Edits the fields for a peer whose records move from (oldList, o4, o6) to (newList, n4, n6).
-- Reads the fields it touches; returns the new heads and the field writes ({name, value, ...}).
local function editCandidates(torrentKey, heads, oldList, o4, o6, newList, n4, n6, cap)
  local moves = {}
  local function plan(fam, o, n)
    local of, nf = oldList .. fam, newList .. fam
    if of == nf and o == n then return end
    if o and headKind(heads, CANDIDATE_INDEX[of]) ~= '-' then moves[#moves + 1] = { of, o, nil } end
    if n and headKind(heads, CANDIDATE_INDEX[nf]) ~= '-' then moves[#moves + 1] = { nf, nil, n } end
  end
  plan('4', o4, n4)
  plan('6', o6, n6)
  if #moves == 0 then return heads, nil end
  local names = {}
  for _, m in ipairs(moves) do names[#names + 1] = m[1] end
  local values = redis.call('HMGET', torrentKey, unpack(names))
  local cur = {}
  for i, m in ipairs(moves) do cur[m[1]] = cur[m[1]] or values[i] or '' end
  for _, m in ipairs(moves) do
    local f, v = m[1], cur[m[1]]
    if m[2] then
      v = withoutRecord(v, m[2]) or v
    else
      local idx = CANDIDATE_INDEX[f]
      if #v / #m[3] < cap then
        v = v .. m[3]
      elseif headKind(heads, idx) == 'c' then
        -- a complete field would pass cap: it stays as it is, as a sample
        heads = withHead(heads, idx, 'p', struct.unpack('>I4', heads, idx * 5 - 3))
      end
    end
    cur[f] = v
  end
  local writes = {}
  for f, v in pairs(cur) do writes[#writes + 1] = f; writes[#writes + 1] = v end
  return heads, writes
end

-- Draws the IPv4 and IPv6 fields of one list ('s' or 'l') afresh: up to `cap` random peers
-- (all of them when the list has no more). Writes them; returns the new heads.
local function drawCandidates(torrentKey, heads, list, listKey, listSize, cap, now)
  local flat = redis.call('HRANDFIELD', listKey, cap, 'WITHVALUES')
  local kind = listSize <= cap and 'c' or 'p'
  local r4s, r6s = {}, {}
  for i = 1, #flat, 2 do
    local r4, r6 = storedRecords(flat[i + 1], string.sub(flat[i], 1, 4))
    if r4 then r4s[#r4s + 1] = r4 end
    if r6 then r6s[#r6s + 1] = r6 end
  end
  local i4 = CANDIDATE_INDEX[list .. '4']
  heads = withHead(withHead(heads, i4, kind, now), i4 + 1, kind, now)
  redis.call('HSET', torrentKey, list .. '4', table.concat(r4s), list .. '6', table.concat(r6s), 'ch', heads)
  return heads
end
