--[[
  A peer's swarm record: the value of its field in the torrent's seeders or leechers hash.
  Packed to stay under Redis' 64-byte listpack limit, so small swarms keep the compact encoding.
  Layout: left, uploaded, downloaded, corrupt (7-byte unsigned; the worker caps counters at
  2^53), first announce, last announce, announces (u32), port (u16), flags (u8), then the IPv4
  (4 bytes) and IPv6 (16 bytes) addresses that the flags say are present.
  FRESH4/FRESH6: that address came with the latest announce. A dual-stack client announces
  once per family; the other family's address is kept while it was fresh in the announce
  before, so the peer stays reachable on both (see mergeAddresses).
]]
local FLAG_V4, FLAG_V6, FLAG_VISIBLE, FLAG_SEEDER, FLAG_FRESH4, FLAG_FRESH6 = 1, 2, 4, 8, 16, 32
local RECORD_FORMAT = '>I7I7I7I7I4I4I4I2B'
local RECORD_FIXED = 43

-- A record's values, as values rather than a table (tables are much of a script's cost):
-- left, up, down, corrupt, first, last, announces, port, flags, v4, v6 ('' when absent).
local function unpackPeer(raw)
  local left, up, down, corrupt, first, last, announces, port, flags = struct.unpack(RECORD_FORMAT, raw)
  local v4, v6 = '', ''
  local at = RECORD_FIXED + 1
  if bit.band(flags, FLAG_V4) ~= 0 then v4 = string.sub(raw, at, at + 3); at = at + 4 end
  if bit.band(flags, FLAG_V6) ~= 0 then v6 = string.sub(raw, at, at + 15) end
  return left, up, down, corrupt, first, last, announces, port, flags, v4, v6
end

local function hasFlag(flags, flag)
  return bit.band(flags, flag) ~= 0
end

local function packPeer(left, up, down, corrupt, first, last, announces, port, visible, seeder, fresh4, fresh6, v4, v6)
  local flags = 0
  if v4 ~= '' then flags = flags + FLAG_V4 end
  if v6 ~= '' then flags = flags + FLAG_V6 end
  if visible then flags = flags + FLAG_VISIBLE end
  if seeder then flags = flags + FLAG_SEEDER end
  if fresh4 then flags = flags + FLAG_FRESH4 end
  if fresh6 then flags = flags + FLAG_FRESH6 end
  return struct.pack(RECORD_FORMAT, left, up, down, corrupt, first, last, announces, port, flags) .. v4 .. v6
end

-- The addresses the peer keeps after an announce that carried v4 and/or v6 (binary, '' when
-- absent): returns v4, v6, fresh4, fresh6. A family the announce lacks is kept if it came with
-- the announce before (the other half of a dual-stack pair), and dropped after a second
-- announce without it. `oldFlags` is nil for a new peer.
local function mergeAddresses(port, v4, v6, oldFlags, oldPort, oldV4, oldV6)
  local n4, n6 = v4, v6
  if oldFlags and oldPort == port then
    if v4 == '' and oldV4 ~= '' and hasFlag(oldFlags, FLAG_FRESH4) then n4 = oldV4 end
    if v6 == '' and oldV6 ~= '' and hasFlag(oldFlags, FLAG_FRESH6) then n6 = oldV6 end
  end
  return n4, n6, v4 ~= '', v6 ~= ''
end
